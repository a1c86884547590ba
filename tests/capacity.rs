//! Concurrency: the largest batch whose caches fit, aggregate against per-stream speed, the
//! MoE experts touched by a batch, and the published sanity figure (an RTX 4090 serving about
//! 50 parallel requests of Llama 3.1 8B with vLLM before memory pressure).

mod common;
use common::{json, tokenfit};
use tokenfit::db::Db;
use tokenfit::model::predict::predict;
use tokenfit::scenario::{resolve, Options};

#[test]
fn rtx_4090_vllm_serves_about_fifty_streams_of_an_8b_model() {
    let v = json(&[
        "capacity",
        "--device",
        "rtx-4090",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "bf16",
        "--ctx",
        "1k",
        "--backend",
        "vllm",
    ]);
    let max = v["summary"]["max_streams"].as_u64().unwrap();
    // 16 GB of BF16 weights and ~1.5 GiB of runtime leave ~6 GiB: 128 KiB/token × 1024 per stream.
    assert!((40..=64).contains(&max), "max_streams {max}");
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len() as u64, max);
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(
            b["aggregate_decode_tok_s"].as_f64().unwrap()
                >= a["aggregate_decode_tok_s"].as_f64().unwrap() * 0.999
        );
        assert!(
            b["per_stream_decode_tok_s"].as_f64().unwrap()
                <= a["per_stream_decode_tok_s"].as_f64().unwrap() * 1.001
        );
        assert_eq!(
            b["batch"].as_u64().unwrap(),
            a["batch"].as_u64().unwrap() + 1
        );
    }
    assert!(v["summary"].get("knee_batch").is_some());
}

#[test]
fn moe_batches_touch_more_experts() {
    let db = Db::builtin().unwrap();
    let at = |b: u32| {
        let o = Options {
            ctx: Some(4096),
            prompt: Some(0),
            gen: 1,
            depth: 4095,
            batch: b,
            ..Options::default()
        };
        resolve(&db, "rtx-pro-6000-blackwell", "qwen3-30b-a3b", "q4_k_m", &o)
            .unwrap()
            .scenario
    };
    let (one, many) = (predict(&at(1)), predict(&at(64)));
    // 128 experts, top 8: one token reads 8/128 of them; 64 tokens read 1 − (1 − 1/16)^64 ≈ 98.4%.
    let experts = at(1).weights.experts.0;
    let b1 = one.decode.bytes_fast.0;
    let b64 = many.decode.bytes_fast.0;
    let expected_extra = experts * ((1.0 - (15.0f64 / 16.0).powi(64)) - 1.0 / 16.0);
    let kv_extra = 63.0
        * tokenfit::model::footprint::kv_bytes(db.model("qwen3-30b-a3b").unwrap(), 4095.5, 2.0).0;
    assert!(
        ((b64 - b1) / (expected_extra + kv_extra) - 1.0).abs() < 0.01,
        "{} vs {}",
        b64 - b1,
        expected_extra + kv_extra
    );
    assert!(
        many.decode_tok_s.unwrap().value * 64.0 > one.decode_tok_s.unwrap().value * 5.0,
        "batching multiplies throughput"
    );
}

#[test]
fn predict_batch_reports_aggregate_and_bad_batches_fail() {
    let predict_8b_fp8 = [
        "predict",
        "--device",
        "h100-sxm",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "fp8",
        // FP8 safetensors load in vLLM, not llama.cpp.
        "--backend",
        "vllm",
        "--batch",
    ];
    let v = json(&[&predict_8b_fp8[..], &["16"]].concat());
    let r = &v["results"][0];
    assert_eq!(r["batch"], 16);
    let agg = r["aggregate_decode_tok_s"].as_f64().unwrap();
    let per = r["decode_tok_s"].as_f64().unwrap();
    assert!((agg / per - 16.0).abs() < 1e-9);
    tokenfit().args(predict_8b_fp8).arg("0").assert().code(2);
    tokenfit()
        .args([
            "capacity",
            "--device",
            "h100-sxm",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "fp8",
            "--ctx",
            "0",
        ])
        .assert()
        .code(2);
}

#[test]
fn a_context_no_stream_fits_says_so() {
    // A 2M-token cache of Llama 3.1 8B is 256 GiB at FP16: not one stream fits a 24 GB card.
    let args = [
        "capacity",
        "--device",
        "rtx-4090",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "q4_k_m",
        "--ctx",
        "2m",
    ];
    let v = json(&args);
    assert_eq!(v["summary"]["max_streams"].as_u64(), Some(0));
    assert!(v["results"].as_array().unwrap().is_empty());
    let out = tokenfit().args(args).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not one stream's cache fits"), "{text}");
    assert!(!text.contains("bandwidth-bound"), "{text}");
}
