//! Speed of the physics and of the sweep: one prediction on a prepared scenario, a scenario
//! built and predicted, the full sweep's rows (all devices × models × quants × 8 contexts),
//! the same sweep written as CSV and JSON lines to a sink on every core, and loading the
//! databases. Run with `cargo bench --bench predict`.

use std::sync::OnceLock;
use tokenfit::advise::select::Filter;
use tokenfit::advise::sweep::{Axes, Plan};
use tokenfit::db::Db;
use tokenfit::model::predict::predict;
use tokenfit::report::stream::RowFormat;
use tokenfit::report::sweep_stream::write_sweep;
use tokenfit::scenario::{build, resolve, Options};

fn main() {
    divan::main();
}

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| Db::builtin().expect("databases load"))
}

const CTXS: [u64; 8] = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

/// One prediction on a prepared scenario (the physics alone). Samples of 1,000 calls: left
/// to tune itself, divan could keep one call a sample (the first, cold sample passes its
/// threshold), and a median of single calls read against a 20 ns timer came out 15–25 ns high.
#[divan::bench(sample_size = 1000)]
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

fn full_axes(db: &Db) -> Axes<'_> {
    Axes {
        devices: db.devices.iter().collect(),
        models: db.models.iter().collect(),
        quants: db.quants.iter().collect(),
        ctxs: CTXS.to_vec(),
        kv_types: vec!["f16".into()],
    }
}

/// The full sweep's rows on one thread: every device × model × quant × 8 contexts, each
/// predicted and made a row (nothing written).
#[divan::bench(sample_count = 3)]
fn full_sweep_rows(b: divan::Bencher) {
    let db = db();
    let plan = Plan::new(db, full_axes(db), &Options::default()).expect("plan");
    b.counter(divan::counter::ItemsCount::new(plan.rows()))
        .bench(|| {
            let mut n = 0usize;
            plan.for_each_row(0..plan.units(), |r| {
                n += usize::from(r.decode_tok_s.is_some())
            })
            .expect("rows");
            n
        });
}

/// The real sweep path (`report::sweep_stream::write_sweep`, what `tokenfit sweep --format
/// csv|jsonl` runs): rows predicted and encoded in chunks on every core, written in order to
/// a sink.
#[divan::bench(args = [RowFormat::Csv, RowFormat::Jsonl], sample_count = 3)]
fn full_sweep_to_sink(b: divan::Bencher, format: RowFormat) {
    let db = db();
    let plan = Plan::new(db, full_axes(db), &Options::default()).expect("plan");
    b.counter(divan::counter::ItemsCount::new(plan.rows()))
        .bench(|| {
            write_sweep(
                std::slice::from_ref(&plan),
                format,
                Filter::default(),
                &serde_json::Value::Null,
                std::io::sink(),
                |_| {},
            )
            .expect("written")
        });
}

/// Loading and validating every embedded database file.
#[divan::bench(sample_count = 10)]
fn load_databases() -> Db {
    Db::builtin().expect("databases load")
}
