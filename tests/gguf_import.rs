//! GGUF files as a user brings them: split shards read together, `models import` printing
//! an entry the database accepts, and `--gguf` on predict, fit, cliff and sweep.

mod common;
mod gguf_writer;

use gguf_writer::models::llama;
use gguf_writer::{layer, total_bytes, write, V};
use tokenfit::db::model::{FfnKind, Mixer};
use tokenfit::db::Db;
use tokenfit::import::load_model_file;
#[test]
fn split_files_are_read_together() {
    let d = gguf_writer::dir("split");
    let (mut kv, ts) = llama();
    let (a, b) = ts.split_at(10);
    kv.extend([
        ("split.no", V::U32(0)),
        ("split.count", V::U32(2)),
        ("split.tensors.count", V::I32(ts.len() as i32)),
    ]);
    let p1 = d.join("tiny-00001-of-00002.gguf");
    let p2 = d.join("tiny-00002-of-00002.gguf");
    write(&p1, &kv, a);
    let kv2 = vec![
        ("split.no", V::U32(1)),
        ("split.count", V::U32(2)),
        ("split.tensors.count", V::I32(ts.len() as i32)),
    ];
    write(&p2, &kv2, b);
    let db = Db::builtin().expect("databases load");
    for p in [&p1, &p2] {
        let m = load_model_file(&db, p).expect("reads both shards");
        assert_eq!(m.model.id, "tiny");
        assert_eq!(m.files, vec![p1.clone(), p2.clone()]);
        assert_eq!(m.weights_bytes.unwrap().0, total_bytes(&ts) as f64);
        assert_eq!(layer(&m.model), vec![(2, Mixer::Full, FfnKind::Dense)]);
    }
    std::fs::remove_file(&p2).unwrap();
    let e = load_model_file(&db, &p1).unwrap_err().to_string();
    assert!(e.contains("shard 2 of 2") && e.contains("missing"), "{e}");
    // A shard renamed without its suffix is refused, not read as half a model.
    let lone = d.join("renamed.gguf");
    std::fs::rename(&p1, &lone).unwrap();
    let e = load_model_file(&db, &lone).unwrap_err().to_string();
    assert!(e.contains("split.count is 2"), "{e}");
}

#[test]
fn models_import_prints_a_yaml_entry_the_database_accepts() {
    let d = gguf_writer::dir("import");
    let p = d.join("Tiny-Llama-Q4_K_M.gguf");
    let (kv, ts) = llama();
    write(&p, &kv, &ts);
    let out = assert_cmd::Command::cargo_bin("tokenfit")
        .unwrap()
        .env_remove("TOKENFIT_DB")
        .args(["models", "import"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("id: tiny-llama-q4_k_m"), "{yaml}");
    assert!(!yaml.contains("null"), "absent fields are left out: {yaml}");
    // The printed entry loads as a user database file and resolves by id.
    let dbdir = d.join("db");
    std::fs::create_dir_all(&dbdir).unwrap();
    std::fs::write(dbdir.join("mine.yaml"), &yaml).unwrap();
    let db = Db::load(Some(&dbdir)).expect("the printed YAML is a valid model file");
    let m = db.model("tiny-llama-q4_k_m").unwrap();
    assert_eq!(m.hidden_size, 256);
    assert_eq!(layer(m), vec![(2, Mixer::Full, FfnKind::Dense)]);
}

#[test]
fn predict_fit_cliff_and_sweep_take_a_gguf_file() {
    let d = gguf_writer::dir("cli");
    let p = d.join("tiny.gguf");
    let (kv, ts) = llama();
    write(&p, &kv, &ts);
    let file = p.to_str().unwrap();
    let run = |args: &[&str]| common::json(&[args, &["--gguf", file]].concat());
    let exact = total_bytes(&ts) as f64;
    // Another scheme than the file's is a what-if: estimated, with a warning.
    let out = assert_cmd::Command::cargo_bin("tokenfit")
        .unwrap()
        .env_remove("TOKENFIT_DB")
        .args([
            "predict", "--device", "rtx-4090", "--quant", "q8_0", "--format", "json", "--gguf",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("differs from the file's q4_k_m"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(
        v["results"][0]["weights_bytes"].as_f64().unwrap().round(),
        exact
    );
    let v = run(&["predict", "--device", "rtx-4090"]);
    assert_eq!(v["results"][0]["model"], "tiny");
    assert_eq!(v["results"][0]["quant"], "q4_k_m");
    assert_eq!(
        v["results"][0]["weights_bytes"].as_f64().unwrap().round(),
        exact
    );
    let v = run(&["fit", "--devices", "rtx-4090,apple-m4-max"]);
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["results"][0]["weights_bytes"].as_f64().unwrap().round(),
        exact
    );
    let v = run(&["cliff", "--device", "rtx-4090"]);
    assert!(!v["results"].as_array().unwrap().is_empty());
    let v = run(&[
        "sweep",
        "--devices",
        "rtx-4090",
        "--models",
        "llama-3.1-8b",
        "--ctx",
        "4k,8k",
    ]);
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows
        .iter()
        .any(|r| r["model"] == "tiny" && r["weights_bytes"].as_f64().unwrap().round() == exact));
}
