//! Closing the loop: every prediction names its llama-bench command; that command's output
//! fed to `validate` gives the error of that very prediction; `calibrate --add` folds it
//! into a local calibration; `check` audits claims.

mod common;
use assert_cmd::Command;
use common::tokenfit_in as tokenfit;
use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tokenfit-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The prediction the loop is closed on: Llama 3.1 8B Q4_K_M on an RTX 4090, pp512 / tg128.
const PREDICT_8B: [&str; 11] = [
    "predict",
    "--device",
    "rtx-4090",
    "--model",
    "llama-3.1-8b",
    "--quant",
    "q4_k_m",
    "--prompt",
    "512",
    "--gen",
    "128",
];

fn json(c: &mut Command) -> Value {
    let out = c.args(["--format", "json"]).output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn predictions_name_the_command_that_measures_them() {
    let cfg = tmpdir("verify-cmd");
    let v = json(tokenfit(&cfg).args(PREDICT_8B));
    let cmd = v["results"][0]["verify_command"].as_str().unwrap();
    for part in [
        "llama-bench -m models/",
        "-p 512",
        "-n 128",
        "-d 0",
        "-ngl 99",
        "-fa 1",
        "-ctk f16",
        "-ctv f16",
        "-ub 512",
        "-o jsonl",
    ] {
        assert!(cmd.contains(part), "{cmd} lacks {part}");
    }
    let moe = json(tokenfit(&cfg).args([
        "predict",
        "--device",
        "rtx-4090",
        "--model",
        "qwen3-235b-a22b",
        "--quant",
        "q4_k_m",
        "--offload",
        "experts",
    ]));
    assert!(moe["results"][0]["verify_command"]
        .as_str()
        .unwrap()
        .contains("--n-cpu-moe "));
    let vllm = json(tokenfit(&cfg).args([
        "predict",
        "--device",
        "h100-sxm",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "fp8",
        "--backend",
        "vllm",
    ]));
    assert!(vllm["results"][0]["verify_command"]
        .as_str()
        .unwrap()
        .starts_with("vllm bench latency --model meta-llama/"));
    let fit =
        json(tokenfit(&cfg).args(["fit", "llama-3.1-8b", "--devices", "rtx-4090,apple-m4-max"]));
    assert!(fit["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["verify_command"]
            .as_str()
            .unwrap()
            .starts_with("llama-bench")));
    let cliff = json(tokenfit(&cfg).args([
        "cliff",
        "--device",
        "rtx-4090",
        "--model",
        "qwen3-32b",
        "--quant",
        "q4_k_m",
    ]));
    assert!(cliff["results"][0]["verify_command"]
        .as_str()
        .unwrap()
        .starts_with("llama-bench"));
    tokenfit(&cfg)
        .args([
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("measure it: llama-bench"));
}

/// llama-bench `-o jsonl` lines as the verify command would write them, at `scale` × the
/// prediction (a machine that is faster or slower than the calibration expects).
fn fake_run(pred_tg: f64, pred_pp: f64, scale: f64) -> String {
    let line = |n_prompt: u32, n_gen: u32, ts: f64| {
        format!(
            "{{\"build_commit\":\"0c1e570\",\"cpu_info\":\"AMD Ryzen 9 7950X\",\"gpu_info\":\"NVIDIA GeForce RTX 4090\",\"backends\":\"CUDA\",\"model_filename\":\"models/Meta-Llama-3.1-8B-Q4_K_M.gguf\",\"model_type\":\"llama 8B Q4_K - Medium\",\"model_size\":4920734720,\"model_n_params\":8030261248,\"n_batch\":2048,\"n_ubatch\":512,\"n_threads\":16,\"type_k\":\"f16\",\"type_v\":\"f16\",\"n_gpu_layers\":99,\"flash_attn\":true,\"n_prompt\":{n_prompt},\"n_gen\":{n_gen},\"n_depth\":0,\"avg_ts\":{ts},\"stddev_ts\":0.5}}\n"
        )
    };
    let mut s = String::new();
    for _ in 0..3 {
        s.push_str(&line(512, 0, pred_pp * scale));
        s.push_str(&line(0, 128, pred_tg * scale));
    }
    s
}

#[test]
fn validate_measures_the_prediction_and_calibrate_add_folds_it_in() {
    let cfg = tmpdir("verify-loop");
    let args = PREDICT_8B;
    let before = json(tokenfit(&cfg).args(args));
    let pred_tg = before["results"][0]["decode_tok_s"].as_f64().unwrap();
    let pred_pp = before["results"][0]["prefill_tok_s"].as_f64().unwrap();
    // The machine runs 20% slower than the prediction.
    let run = cfg.join("run.jsonl");
    std::fs::write(&run, fake_run(pred_tg, pred_pp, 0.8)).unwrap();
    let v = json(tokenfit(&cfg).arg("validate").arg(&run));
    assert_eq!(v["summary"]["holdout"], "shipped");
    // |pred / measured − 1| = 1/0.8 − 1 = 25%; the file size differs a little from the quant estimate.
    let mape = v["summary"]["tg"]["mape_pct"].as_f64().unwrap();
    assert!((mape - 25.0).abs() < 3.0, "tg error {mape}");
    // Fold it in: the next prediction moves toward the measurement, the shipped file is untouched.
    let shipped = std::fs::read_to_string("calibration/fitted.yaml").unwrap();
    tokenfit(&cfg)
        .args(["calibrate", "--add"])
        .arg(&run)
        .assert()
        .success()
        .stdout(predicate::str::contains("local calibration written"));
    assert!(cfg.join("local-calibration.yaml").exists());
    assert_eq!(
        std::fs::read_to_string("calibration/fitted.yaml").unwrap(),
        shipped
    );
    let after = json(tokenfit(&cfg).args(args));
    let tg_after = after["results"][0]["decode_tok_s"].as_f64().unwrap();
    assert!(tg_after < pred_tg * 0.92, "{tg_after} vs {pred_tg}");
    assert_eq!(after["results"][0]["efficiency"], "fitted");
    // A broken file is refused before it is kept.
    let bad = cfg.join("bad.jsonl");
    std::fs::write(&bad, "{\"avg_ts\": \n").unwrap();
    tokenfit(&cfg)
        .args(["calibrate", "--add"])
        .arg(&bad)
        .assert()
        .code(2);
    assert_eq!(std::fs::read_dir(cfg.join("traces")).unwrap().count(), 1);
}

/// `check` of Llama 3.3 70B Q8_0 on an M5 Max, up to the claimed tok/s.
const CHECK_70B_Q8: [&str; 8] = [
    "check",
    "--device",
    "apple-m5-max-128gb",
    "--model",
    "llama-3.3-70b",
    "--quant",
    "q8_0",
    "--claimed-tok-s",
];

#[test]
fn check_audits_claims() {
    let cfg = tmpdir("check");
    // 70B Q8_0 ≈ 75 GB read per token; 614 GB/s → about 8 tok/s at most.
    let out = tokenfit(&cfg)
        .args(CHECK_70B_Q8)
        .args(["16", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["results"][0];
    assert_eq!(r["verdict"], "impossible");
    let bound = r["bound_tok_s"].as_f64().unwrap();
    assert!((7.5..9.0).contains(&bound), "bound {bound}");
    assert!(r["expected_tok_s"].as_f64().unwrap() < bound);
    assert!(r["required_bandwidth_gb_s"].as_f64().unwrap() > 1100.0);
    // A claim inside the calibrated interval is plausible (exit 0); just under the bound but above it, optimistic.
    let expected = r["expected_tok_s"].as_f64().unwrap();
    tokenfit(&cfg)
        .args(CHECK_70B_Q8)
        .arg(format!("{expected}"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PLAUSIBLE"));
    let hi = r["expected_tok_s_hi"].as_f64().unwrap();
    if hi < bound * 0.999 {
        tokenfit(&cfg)
            .args(CHECK_70B_Q8)
            .arg(format!("{}", (hi + bound) / 2.0))
            .assert()
            .code(1)
            .stdout(predicate::str::contains("OPTIMISTIC"));
    }
    tokenfit(&cfg)
        .args([
            "check",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--claimed-tok-s",
            "-3",
        ])
        .assert()
        .code(2);
}
