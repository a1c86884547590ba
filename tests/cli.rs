//! The CLI end to end: the README's first answer, every output format, the JSON contract,
//! and bad input (exit code 2, a message on stderr, no panic). User files and traces:
//! `tests/cli_user_files.rs`.

mod common;
use common::{json, tokenfit};
use predicates::prelude::*;

#[test]
fn fit_answers_the_readme_question() {
    let v = json(&["fit", "llama-3.3-70b", "--quant", "q8_0", "--ctx", "32k"]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["inputs"]["ctx"], 32768);
    let results = v["results"].as_array().unwrap();
    assert!(results.len() >= 40);
    let keys = [
        "device",
        "model",
        "quant",
        "backend",
        "ctx",
        "weights_bytes",
        "kv_bytes",
        "total_bytes",
        "usable_bytes",
        "verdict",
        "decode_tok_s",
        "prefill_tok_s",
        "ttft_s",
        "bound",
    ];
    for r in results {
        for k in keys {
            assert!(r.get(k).is_some(), "result lacks '{k}': {r}");
        }
    }
    let find = |id: &str| results.iter().find(|r| r["device"] == id).unwrap();
    assert_eq!(find("rtx-pro-6000-blackwell")["verdict"], "fits");
    assert_ne!(find("rtx-4090")["verdict"], "fits");
    assert_eq!(find("apple-m5-max-128gb")["verdict"], "fits");
    // ranked: every fit before every spill before every does_not_fit
    let order: Vec<u8> = results
        .iter()
        .map(|r| match r["verdict"].as_str().unwrap() {
            "fits" => 0,
            "spills" => 1,
            _ => 2,
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn every_format_renders() {
    let args = [
        "predict",
        "--device",
        "rtx-4090",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "q4_k_m",
    ];
    tokenfit()
        .args(args)
        .assert()
        .success()
        .stdout(predicate::str::contains("decode tok/s"));
    tokenfit()
        .args(args)
        .args(["--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("device,model,quant,backend"));
    tokenfit()
        .args(args)
        .args(["--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| quantity | value |"));
    let v = json(&args);
    assert_eq!(v["results"][0]["device"], "rtx-4090");
    assert!(v["results"][0]["decode_tok_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn output_file_is_written() {
    let dir = std::env::temp_dir().join(format!("tokenfit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("devices.csv");
    tokenfit()
        .args(["devices", "--format", "csv", "-o"])
        .arg(&path)
        .assert()
        .success()
        .stdout("");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().count() > 40);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sweep_cliff_and_lists_work() {
    let v = json(&[
        "sweep",
        "--devices",
        "rtx-4090,apple-m4-max",
        "--models",
        "llama-3.1-8b,qwen3-30b-a3b",
        "--quants",
        "q4_k_m,q8_0",
        "--ctx",
        "4k,32K",
        "--kv-type",
        "f16,q8_0",
    ]);
    assert_eq!(v["results"].as_array().unwrap().len(), 2 * 2 * 2 * 2 * 2);
    let c = json(&[
        "cliff",
        "--device",
        "rtx-4090",
        "--model",
        "qwen3-32b",
        "--quant",
        "q4_k_m",
    ]);
    let cliff = c["summary"]["cliff_ctx"]
        .as_u64()
        .expect("a 32B Q4 model on 24 GB has a cliff");
    assert!(cliff > 1024 && cliff < 40_960, "cliff at {cliff}");
    assert!(
        c["summary"]["decode_tok_s_after"].as_f64().unwrap()
            < c["summary"]["decode_tok_s_before"].as_f64().unwrap()
    );
    // every point carries its interval, and the cliff says where the efficiency came from
    assert_eq!(c["summary"]["efficiency"], "fitted");
    for p in c["results"].as_array().unwrap() {
        if let Some(v) = p["decode_tok_s"].as_f64() {
            assert!(p["decode_tok_s_lo"].as_f64().unwrap() <= v);
            assert!(v <= p["decode_tok_s_hi"].as_f64().unwrap());
        }
    }
    for cmd in ["devices", "models", "quants"] {
        tokenfit().arg(cmd).assert().success();
    }
    tokenfit()
        .args(["devices", "rtx 4090"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1008"));
    // Every device says the FP16 rate predictions run at: never above its datasheet peak.
    let v = json(&["devices"]);
    for d in v["results"].as_array().unwrap() {
        let peak = d["compute"]["fp16_tflops"]
            .as_f64()
            .unwrap()
            .max(d["compute"]["fp16_acc16_tflops"].as_f64().unwrap_or(0.0));
        let sustained = d["sustained_fp16_tflops"].as_f64().unwrap();
        assert!(
            sustained > 0.0 && sustained <= peak * (1.0 + 1e-12),
            "{}",
            d["id"]
        );
    }
    // One device shown says it too (RTX 6000 Ada: 300 W for 364 TFLOP/s, held below its peak).
    let one = json(&["devices", "rtx-6000-ada"]);
    let sustained = one["results"][0]["sustained_fp16_tflops"].as_f64().unwrap();
    assert!(sustained > 250.0 && sustained < 364.0, "{sustained}");
}

#[test]
fn unknown_names_suggest_candidates() {
    tokenfit()
        .args([
            "predict",
            "--device",
            "rtx-4099",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown device 'rtx-4099'")
                .and(predicate::str::contains("did you mean")),
        );
    tokenfit()
        .args([
            "predict",
            "--device",
            "h100",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ambiguous"));
}

#[test]
fn bad_numbers_exit_2_without_panic() {
    for ctx in ["-5", "NaN", "abc", "1e12", "0"] {
        tokenfit()
            .args(["fit", "llama-3.1-8b", "--ctx", ctx])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("error:").and(predicate::str::contains("panicked").not()),
            );
    }
    tokenfit()
        .args([
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--gpu-layers",
            "99",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exceeds the 32 layers"));
    tokenfit()
        .args(["fit", "llama-3.1-8b", "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn context_past_the_model_maximum_warns() {
    tokenfit()
        .args([
            "predict",
            "--device",
            "rtx-pro-6000-blackwell",
            "--model",
            "llama-2-7b",
            "--quant",
            "q4_0",
            "--ctx",
            "16k",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: context 16384 exceeds the maximum",
        ));
}
