//! Speed of the physics: one prediction, and a full sweep (all devices × all models ×
//! all quants × 8 contexts). Run with `cargo bench --bench predict`.

use std::sync::OnceLock;
use tokenfit::advise::sweep::{sweep, Axes};
use tokenfit::db::Db;
use tokenfit::model::predict::predict;
use tokenfit::scenario::{build, resolve, Options};

fn main() {
    divan::main();
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| Db::builtin().expect("databases load"))
}

const CTXS: [u64; 8] = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

/// One prediction on a prepared scenario (the physics alone).
#[divan::bench]
fn one_prediction(b: divan::Bencher) {
    let o = Options {
        ctx: Some(32768),
        prompt: Some(32768),
        gen: 0,
        ..Options::default()
    };
    let r = resolve(db(), "rtx-4090", "llama-3.3-70b", "q4_k_m", &o).expect("scenario");
    b.bench(|| predict(divan::black_box(&r.scenario)));
}

/// Scenario construction (efficiency lookup, overhead) plus prediction.
#[divan::bench]
fn build_and_predict(b: divan::Bencher) {
    let db = db();
    let (d, m, q) = (
        db.device("rtx-4090").unwrap(),
        db.model("qwen3-30b-a3b").unwrap(),
        db.quant("q4_k_m").unwrap(),
    );
    let o = Options {
        ctx: Some(32768),
        prompt: Some(32768),
        gen: 0,
        ..Options::default()
    };
    b.bench(|| {
        predict(
            &build(db, d, m, q, divan::black_box(&o))
                .expect("scenario")
                .scenario,
        )
    });
}

/// The full sweep: every device × model × quant × 8 contexts, rows included.
#[divan::bench(sample_count = 3)]
fn full_sweep(b: divan::Bencher) {
    let db = db();
    let axes = Axes {
        devices: db.devices.iter().collect(),
        models: db.models.iter().collect(),
        quants: db.quants.iter().collect(),
        ctxs: CTXS.to_vec(),
        kv_types: vec!["f16".into()],
    };
    b.counter(divan::counter::ItemsCount::new(axes.len()))
        .bench(|| sweep(db, &axes, &Options::default()).expect("sweep"));
}

/// Loading and validating every embedded database file.
#[divan::bench(sample_count = 10)]
fn load_databases() -> Db {
    Db::builtin().expect("databases load")
}
