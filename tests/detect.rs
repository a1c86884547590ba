//! `detect`, the saved machine `this`, and `scan`, end to end.

mod common;
mod gguf_writer;

use common::{json_with, tokenfit_in};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/machines")
        .join(name)
}

fn fresh(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("detect-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn decode(config: &Path, device: &str) -> f64 {
    let v = json_with(
        tokenfit_in(config),
        &[
            "predict",
            "--device",
            device,
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--prompt",
            "512",
            "--gen",
            "128",
        ],
    );
    v["results"][0]["decode_tok_s"].as_f64().unwrap()
}

#[test]
fn saved_machine_is_the_device_this() {
    let cfg = fresh("saved-4090");
    let from = fixture("rtx-4090");
    let v = json_with(
        tokenfit_in(&cfg),
        &[
            "detect",
            "--no-probe",
            "--save",
            "--from",
            from.to_str().unwrap(),
        ],
    );
    assert_eq!(v["results"][1]["matched"], "rtx-4090");
    assert!(cfg.join("this-device.yaml").is_file());
    // Built on rtx-4090, with its fitted efficiencies: the same decode speed for a model that
    // fits in VRAM (only the capacities and the link were read).
    let (this, entry) = (decode(&cfg, "this"), decode(&cfg, "rtx-4090"));
    assert!((this - entry).abs() / entry < 1e-9, "{this} vs {entry}");
    let fit = json_with(
        tokenfit_in(&cfg),
        &["fit", "llama-3.1-8b", "--devices", "this"],
    );
    assert_eq!(fit["results"][0]["device"], "this");

    // A llama-bench row whose gpu_info is the saved GPU maps to `this`.
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/llama-bench/sample.json"
    ))
    .unwrap();
    let mut rows: Vec<Value> = serde_json::from_str(&sample).unwrap();
    rows.truncate(1);
    let r = &mut rows[0];
    r["gpu_info"] = "NVIDIA GeForce RTX 4090".into();
    r["backends"] = "CUDA".into();
    r["model_filename"] = "models/Llama-3.1-8B-Q4_K_M.gguf".into();
    r["model_type"] = "llama 8B Q4_K - Medium".into();
    r["n_gpu_layers"] = 99.into();
    let trace = cfg.join("bench.json");
    std::fs::write(&trace, serde_json::to_string(&rows).unwrap()).unwrap();
    let val = json_with(tokenfit_in(&cfg), &["validate", trace.to_str().unwrap()]);
    assert_eq!(val["results"][0]["device"], "this");
}

#[test]
fn this_before_any_save_says_how() {
    let cfg = fresh("nothing-saved");
    let out = tokenfit_in(&cfg)
        .args([
            "predict",
            "--device",
            "this",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tokenfit detect --save"));
}

#[test]
fn detect_here_reports_every_key() {
    let cfg = fresh("live");
    let v = json_with(tokenfit_in(&cfg), &["detect", "--no-probe"]);
    let results = v["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        for k in [
            "id",
            "name",
            "kind",
            "matched",
            "capacity_bytes",
            "free_bytes",
            "bandwidth_gb_s",
            "bandwidth_source",
            "fp16_tflops",
            "cores",
            "threads",
        ] {
            assert!(r.get(k).is_some(), "key {k} in {r}");
        }
    }
    assert!(!cfg.join("this-device.yaml").exists(), "no --save, no file");
}

#[test]
fn save_measures_an_unmatched_cpu() {
    let cfg = fresh("saved-cpu");
    let from = fixture("this-machine-epyc-2vcpu");
    let v = json_with(
        tokenfit_in(&cfg),
        &["detect", "--save", "--from", from.to_str().unwrap()],
    );
    let cpu = &v["results"][0];
    assert_eq!(cpu["bandwidth_source"], "measured");
    let bw = cpu["bandwidth_gb_s"].as_f64().unwrap();
    assert!(bw > 0.1 && bw < 2000.0, "{bw}");
    let saved = std::fs::read_to_string(cfg.join("this-device.yaml")).unwrap();
    assert!(saved.contains("[measured] tokenfit detect"), "{saved}");
    assert!(decode(&cfg, "this") > 0.0);
    // Without the probe an unmatched CPU has no bandwidth to save: an error that says so.
    let out = tokenfit_in(&cfg)
        .args([
            "detect",
            "--no-probe",
            "--save",
            "--from",
            from.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without --no-probe"));
}

#[test]
fn scan_finds_ranks_and_lists_the_unreadable() {
    let root = fresh("scan");
    let home = root.join("home");
    // Ollama: a manifest naming its model blob.
    let models = home.join(".ollama/models");
    let digest = "a".repeat(64);
    std::fs::create_dir_all(models.join("blobs")).unwrap();
    std::fs::create_dir_all(models.join("manifests/registry.ollama.ai/library/tiny")).unwrap();
    let (kv, ts) = gguf_writer::models::llama();
    gguf_writer::write(&models.join(format!("blobs/sha256-{digest}")), &kv, &ts);
    std::fs::write(
        models.join("manifests/registry.ollama.ai/library/tiny/latest"),
        format!(r#"{{"schemaVersion":2,"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{digest}","size":1}}]}}"#),
    )
    .unwrap();
    // The hub cache: a snapshot file.
    let snap = home.join(".cache/huggingface/hub/models--org--tiny/snapshots/abc");
    std::fs::create_dir_all(&snap).unwrap();
    gguf_writer::write(&snap.join("tiny-Q4_K_M.gguf"), &kv, &ts);
    // A directory given: a broken file and a later shard (not listed).
    let given = root.join("given");
    std::fs::create_dir_all(&given).unwrap();
    std::fs::write(given.join("broken.gguf"), b"not a gguf").unwrap();
    std::fs::write(given.join("big-00002-of-00003.gguf"), b"x").unwrap();

    let cfg = root.join("cfg");
    let out = tokenfit_in(&cfg)
        .env("HOME", &home)
        .env_remove("HF_HUB_CACHE")
        .env_remove("HF_HOME")
        .env_remove("LLAMA_CACHE")
        .env_remove("OLLAMA_MODELS")
        .args([
            "scan",
            given.to_str().unwrap(),
            "--device",
            "rtx-4090",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<&Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .unwrap()
                .starts_with(root.to_str().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let by = |label: &str| *rows.iter().find(|r| r["label"] == label).unwrap();
    let ollama = by("tiny:latest");
    assert_eq!(ollama["origin"], "ollama");
    assert_eq!(ollama["verdict"], "fits");
    assert!(ollama["decode_tok_s"].as_f64().unwrap() > 0.0);
    assert!(ollama["prefill_tok_s"].as_f64().unwrap() > 0.0);
    assert_eq!(by("tiny-Q4_K_M.gguf")["origin"], "hugging_face");
    let broken = by("broken.gguf");
    assert_eq!(broken["verdict"], "unreadable");
    assert!(!broken["error"].as_str().unwrap().is_empty());
    // Unreadable files come last.
    assert_eq!(rows.last().unwrap()["label"], "broken.gguf");
}

#[test]
fn validate_reads_the_gguf_a_row_names() {
    let root = fresh("validate-gguf");
    let cfg = root.join("cfg");
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/llama-bench/sample.json"
    ))
    .unwrap();
    let mut rows: Vec<Value> = serde_json::from_str(&sample).unwrap();
    for r in rows.iter_mut() {
        r["gpu_info"] = "NVIDIA GeForce RTX 4090".into();
        r["backends"] = "CUDA".into();
        r["model_filename"] = "models/rand-0.1b-q8_0.gguf".into();
    }
    let trace = root.join("bench.json");
    std::fs::write(&trace, serde_json::to_string(&rows).unwrap()).unwrap();
    let validate = || {
        tokenfit_in(&cfg)
            .current_dir(cfg.parent().unwrap().parent().unwrap())
            .args(["validate", trace.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap()
    };
    // "llama 256M" names no database model, nor does the file name (the sample's own): nothing maps.
    let out = validate();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be mapped"));
    // With the file beside the trace, its header gives the model.
    std::fs::create_dir_all(root.join("models")).unwrap();
    let (kv, ts) = gguf_writer::models::llama();
    gguf_writer::write(&root.join("models/rand-0.1b-q8_0.gguf"), &kv, &ts);
    let out = validate();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["rows_used"], rows.len());
    assert_eq!(v["summary"]["rows_unmapped"], 0);
}
