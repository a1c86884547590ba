//! The CLI with the user's own files: user databases (malformed, overriding a device by id),
//! edited calibration files that are refused, and `validate` / `calibrate` on trace files
//! (the JSON summary, unmapped rows, a missing file, batched rows).

mod common;
use common::{json, tokenfit};
use predicates::prelude::*;

#[test]
fn malformed_user_yaml_names_file_and_line() {
    let dir = std::env::temp_dir().join(format!("tokenfit-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.yaml"),
        "devices:\n  - id: x\n    name: [unclosed\n",
    )
    .unwrap();
    tokenfit()
        .args(["devices", "--db"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yaml:"));
    std::fs::write(
        dir.join("bad.yaml"),
        "models:\n  - id: tiny\n    name: Tiny\n",
    )
    .unwrap();
    tokenfit()
        .args(["models", "--db"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing field"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The shipped defaults with `from` replaced by `to`, loaded with `--db`: exit 2 and an error
/// that names every one of `names`.
fn edited_defaults_are_refused(tag: &str, from: &str, to: &str, names: &[&str]) {
    edited_calibration_is_refused("defaults.yaml", tag, from, to, names);
}

/// `calibration/FILE` as shipped with `from` replaced by `to` (once), loaded with `--db`:
/// exit 2 and an error that names every one of `names`.
fn edited_calibration_is_refused(file: &str, tag: &str, from: &str, to: &str, names: &[&str]) {
    let dir = std::env::temp_dir().join(format!("tokenfit-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("calibration")
            .join(file),
    )
    .unwrap();
    let edited = shipped.replacen(from, to, 1);
    assert_ne!(edited, shipped, "the shipped {file} holds '{from}'");
    std::fs::write(dir.join(file), edited).unwrap();
    let mut err = tokenfit()
        .args(["devices", "--db"])
        .arg(&dir)
        .assert()
        .code(2);
    for n in names {
        err = err.stderr(predicate::str::contains(*n));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_backend_variant_of_an_unknown_backend_is_refused() {
    edited_defaults_are_refused(
        "variant",
        "variant_of: llama.cpp-rocm",
        "variant_of: llama.cpp-nope",
        &["variant_of", "llama.cpp-nope"],
    );
}

#[test]
fn a_batched_kernel_rule_from_one_token_is_refused() {
    edited_defaults_are_refused(
        "experts-min",
        "expert_gemm_all:\n      min_tokens: 2",
        "expert_gemm_all:\n      min_tokens: 1",
        &["expert_gemm_all.min_tokens", "must be ≥ 2", "got 1"],
    );
    edited_defaults_are_refused(
        "dequant-min",
        "dequant_gemm:\n      min_tokens: 64",
        "dequant_gemm:\n      min_tokens: 0",
        &["dequant_gemm.min_tokens", "got 0"],
    );
}

#[test]
fn malformed_token_tiles_are_refused() {
    edited_defaults_are_refused(
        "tiles-order",
        "- {max_tokens: 64, tile: 64}",
        "- {max_tokens: 16, tile: 64}",
        &["gemm_token_tiles.tiles", "max_tokens must increase"],
    );
    edited_defaults_are_refused(
        "tiles-last",
        "- {tile: 128}",
        "- {max_tokens: 4096, tile: 128}",
        &["gemm_token_tiles.tiles", "only the last"],
    );
    edited_defaults_are_refused(
        "tiles-zero",
        "- {max_tokens: 32, tile: 32}",
        "- {max_tokens: 32, tile: 0}",
        &["gemm_token_tiles.tiles", "at least one token"],
    );
    edited_defaults_are_refused(
        "tiles-family",
        "families: [amd-rdna3, amd-rdna4, amd-apu]",
        "families: [amd-rdna9]",
        &["gemm_token_tiles.families", "amd-rdna9"],
    );
    edited_defaults_are_refused(
        "tiles-no-family",
        "families: [amd-rdna3, amd-rdna4, amd-apu]",
        "families: []",
        &["gemm_token_tiles.families", "at least one device family"],
    );
}

#[test]
fn malformed_superseded_builds_are_refused() {
    edited_defaults_are_refused(
        "superseded-build",
        "superseded_builds:\n      max_build: 6118",
        "superseded_builds:\n      max_build: soon",
        &["superseded_builds.max_build", "expected u32"],
    );
    edited_defaults_are_refused(
        "superseded-field",
        "superseded_builds:\n      max_build: 6118",
        "superseded_builds:\n      newest: 6118",
        &["superseded_builds", "unknown field `newest`"],
    );
    edited_calibration_is_refused(
        "fitted.yaml",
        "superseded-share",
        "superseded_compute: 0.",
        "superseded_compute: -0.",
        &["superseded_compute", "must be ≥ 0"],
    );
}

#[test]
fn a_left_out_rule_naming_no_device_or_test_is_refused() {
    edited_defaults_are_refused(
        "left-out-device",
        "left_out:\n  - file: xiongjiedai_llama3_gpu_mac.csv\n    device: a100-80gb",
        "left_out:\n  - file: xiongjiedai_llama3_gpu_mac.csv\n    device: a100-80gb-sxm",
        &[
            "left_out[0]",
            "device",
            "'a100-80gb-sxm' is not the id of any device",
        ],
    );
    edited_defaults_are_refused(
        "left-out-file",
        "- file: xiongjiedai_llama3_gpu_mac.csv\n    device: a100-80gb",
        "- file: calibration/traces/xiongjiedai_llama3_gpu_mac.csv\n    device: a100-80gb",
        &["left_out[0]", "file", "without a directory"],
    );
    edited_defaults_are_refused(
        "left-out-test",
        "quant: f16\n    test: pp",
        "quant: f16\n    test: prefill",
        &["left_out[0]", "test", "must be 'pp' or 'tg'"],
    );
}

#[test]
fn user_db_overrides_a_device_by_id() {
    let dir = std::env::temp_dir().join(format!("tokenfit-ovr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = r#"devices:
  - id: rtx-4090
    name: RTX 4090 (my overclock)
    vendor: nvidia
    kind: discrete_gpu
    family: nvidia-ada
    memory:
      fast: {capacity_gib: 24, bandwidth_gb_s: 1100, usable_gib: 23.5, source: my measurement}
      host: {capacity_gib: 128, bandwidth_gb_s: 96, source: my machine}
      link: {kind: pcie, pcie_gen: 4, lanes: 16, bandwidth_gb_s: 31.5, source: spec}
    compute: {fp16_tflops: 165.2, source: datasheet}
    power_w: 450
    sources: [mine]
"#;
    std::fs::write(dir.join("mine.yaml"), yaml).unwrap();
    tokenfit()
        .env("TOKENFIT_DB", &dir)
        .args(["devices", "rtx-4090"])
        .assert()
        .success()
        .stdout(predicate::str::contains("my overclock"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn validate_json_has_the_summary_keys() {
    let v = json(&[
        "validate",
        "calibration/traces/llamacpp_scoreboards_cuda_rocm_vulkan.csv",
        "--holdout",
        "none",
    ]);
    let s = &v["summary"];
    for t in ["tg", "pp"] {
        for k in ["mape_pct", "median_ape_pct", "p90_ape_pct"] {
            assert!(s[t][k].as_f64().is_some(), "summary.{t}.{k}");
        }
        let dm = &s[format!("{t}_device_mean")];
        assert!(dm["mape_pct"].as_f64().is_some());
        // The mean over devices of the share inside the interval: a share.
        let c = dm["coverage_pct"].as_f64().unwrap();
        assert!(
            (0.0..=100.0).contains(&c),
            "{t}_device_mean.coverage_pct {c}"
        );
    }
    let used = s["rows_used"].as_u64().unwrap();
    assert!(used > 100 && s["rows_unmapped"].as_u64().is_some());
    assert_eq!(v["rows"].as_array().unwrap().len() as u64, used);
    let files = s["per_file"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0]["tg"]["n"].as_u64().unwrap() + files[0]["pp"]["n"].as_u64().unwrap(),
        s["tg"]["n"].as_u64().unwrap() + s["pp"]["n"].as_u64().unwrap()
    );
}

#[test]
fn a_dequant_rule_for_an_unknown_device_family_is_refused() {
    edited_defaults_are_refused(
        "dequant",
        "families: [amd-rdna3, amd-apu]",
        "families: [amd-rdna9]",
        &["dequant_gemm.families", "amd-rdna9"],
    );
}

#[test]
fn a_vendor_outside_a_kind_level_entry_is_refused() {
    edited_calibration_is_refused(
        "fitted.yaml",
        "vendor",
        "  family: amd-rdna2\n",
        "  family: amd-rdna2\n  vendor: amd\n",
        &["vendor", "kind-level"],
    );
}

#[test]
fn verbose_lists_unmapped_rows_even_when_none_is_usable() {
    // The sample's CPU ('Intel(R) Xeon(R) Processor') is no database device.
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/llama-bench/sample.csv"
    );
    for cmd in ["validate", "calibrate"] {
        tokenfit()
            .args([cmd, sample, "--verbose"])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("sample.csv:2: unknown device")
                    .and(predicate::str::contains("no usable rows")),
            );
    }
}

#[test]
fn a_missing_file_is_named_once_with_its_cause() {
    let out = tokenfit()
        .args(["validate", "/nonexistent/trace.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/trace.csv: "), "{err}");
    assert_eq!(err.matches("(os error").count(), 1, "{err}");
}

#[test]
fn batched_rows_validate_but_give_nothing_to_fit() {
    // A trace of batched decode only (B = 2): `validate` checks it, `calibrate` refuses it,
    // and `calibrate --add` keeps nothing.
    let dir = std::env::temp_dir().join(format!("tokenfit-batched-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("batched.csv");
    let text =
        std::fs::read_to_string("calibration/traces/llamacpp_repo_benches_batched.csv").unwrap();
    let rows: Vec<&str> = text.lines().collect();
    let batched: Vec<&str> = rows[1..]
        .iter()
        .copied()
        .filter(|l| l.contains("B=2 ") && l.contains(",tg,"))
        .collect();
    assert!(!batched.is_empty());
    std::fs::write(&trace, format!("{}\n{}\n", rows[0], batched.join("\n"))).unwrap();
    let v = json(&["validate", trace.to_str().unwrap()]);
    let s = &v["summary"];
    let used = s["rows_used"].as_u64().unwrap();
    assert!(used > 0);
    assert_eq!(
        used + s["rows_unmapped"].as_u64().unwrap(),
        batched.len() as u64
    );
    assert_eq!(s["tg_batched"]["n"].as_u64(), Some(used));
    let per_group: u64 = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["tg_batched"]["n"].as_u64().unwrap())
        .sum();
    assert_eq!(per_group, used);
    tokenfit()
        .args(["validate", trace.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("batched decode rows (B > 1"));
    tokenfit()
        .args(["calibrate", trace.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to fit"));
    let cfg = dir.join("config");
    common::tokenfit_in(&cfg)
        .args(["calibrate", "--add", trace.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to fit"));
    assert!(!cfg.join("traces").exists());
    std::fs::remove_dir_all(&dir).ok();
}
