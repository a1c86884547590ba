//! Helpers shared by the CLI tests: the binary with a clean environment, and its JSON.
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
    let out = tokenfit()
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
