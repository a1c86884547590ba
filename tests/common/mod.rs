//! Helpers shared by the CLI tests: the binary with a clean environment, its stdout and its JSON.
// Each test crate compiles this module and uses only some of it.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

/// The `tokenfit` binary without the runner's user databases or local calibration.
pub fn tokenfit() -> Command {
    tokenfit_in(&std::env::temp_dir().join("tokenfit-tests-no-config"))
}

/// The `tokenfit` binary without the runner's user databases, its configuration (local
/// calibration) in `config`.
pub fn tokenfit_in(config: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("tokenfit").expect("binary builds");
    c.env_remove("TOKENFIT_DB");
    c.env_remove("COLUMNS");
    c.env("TOKENFIT_CONFIG_DIR", config);
    c
}

/// Runs `args` with `--format json`, asserts success, and parses stdout.
pub fn json(args: &[&str]) -> Value {
    json_with(tokenfit(), args)
}

/// [`json`] with a command set up by the caller (say [`tokenfit_in`] a config directory).
pub fn json_with(mut c: Command, args: &[&str]) -> Value {
    let out = c
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

/// The number at `key` of a JSON object (a test failure naming the key when it is not one).
pub fn number(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("'{key}' is not a number: {v}"))
}

/// Runs `args`, asserts exit code 2 and a message on stderr that contains `want`.
pub fn fails_with(args: &[&str], want: &str) {
    let out = tokenfit().args(args).output().expect("binary runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(want), "{args:?}: wanted '{want}' in: {err}");
}

/// Runs `args` with `COLUMNS` set to `columns` (unset when `None`), asserts success, and
/// returns stdout.
pub fn stdout_of(args: &[&str], columns: Option<&str>) -> String {
    let mut c = tokenfit();
    c.env_remove("COLUMNS");
    if let Some(w) = columns {
        c.env("COLUMNS", w);
    }
    let out = c.args(args).output().expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The `results` array of a JSON report.
pub fn results(v: &Value) -> &Vec<Value> {
    v["results"].as_array().expect("results")
}

/// Options for a prompt that fills a context of `ctx` tokens (nothing generated).
pub fn at_ctx(ctx: u64) -> tokenfit::scenario::Options {
    tokenfit::scenario::Options {
        ctx: Some(ctx),
        prompt: Some(ctx),
        gen: 0,
        ..Default::default()
    }
}
