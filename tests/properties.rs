//! Invariants of the physics, checked over random scenarios (proptest):
//! more bandwidth never slows decode; longer context never speeds decode; more memory
//! never turns a fit into a spill; prefill time is at least its compute bound.

use proptest::prelude::*;
use std::sync::OnceLock;
use tokenfit::db::Db;
use tokenfit::model::params::param_groups;
use tokenfit::model::predict::predict;
use tokenfit::scenario::{build, Options};
use tokenfit::units::Bytes;

fn db() -> &'static Db {
    static DB: OnceLock<Db> = OnceLock::new();
    DB.get_or_init(|| Db::builtin().expect("databases load"))
}

fn pick(i: usize, n: usize) -> usize {
    i % n
}

fn scenario_opts(ctx: u64) -> Options {
    Options {
        ctx: Some(ctx),
        prompt: Some(ctx),
        gen: 0,
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn more_bandwidth_never_slows_decode(d in 0usize..1000, m in 0usize..1000, q in 0usize..1000, ctx in 1u64..200_000, k in 1.0f64..4.0) {
        let db = db();
        let dev = &db.devices[pick(d, db.devices.len())];
        let model = &db.models[pick(m, db.models.len())];
        let quant = &db.quants[pick(q, db.quants.len())];
        let r = build(db, dev, model, quant, &scenario_opts(ctx)).unwrap();
        let mut faster = dev.clone();
        faster.fast.bandwidth = faster.fast.bandwidth * k;
        if let Some(h) = faster.host.as_mut() { h.bandwidth = h.bandwidth * k; }
        let r2 = build(db, &faster, model, quant, &scenario_opts(ctx)).unwrap();
        let (a, b) = (predict(&r.scenario), predict(&r2.scenario));
        if let (Some(a), Some(b)) = (a.decode_tok_s, b.decode_tok_s) {
            prop_assert!(b.value >= a.value * (1.0 - 1e-12));
        }
    }

    #[test]
    fn longer_context_never_speeds_decode(d in 0usize..1000, m in 0usize..1000, ctx in 1u64..100_000, extra in 1u64..100_000) {
        let db = db();
        let dev = &db.devices[pick(d, db.devices.len())];
        let model = &db.models[pick(m, db.models.len())];
        let quant = db.quant("q4_k_m").unwrap();
        let short = predict(&build(db, dev, model, quant, &scenario_opts(ctx)).unwrap().scenario);
        let long = predict(&build(db, dev, model, quant, &scenario_opts(ctx + extra)).unwrap().scenario);
        if let (Some(s), Some(l)) = (short.decode_tok_s, long.decode_tok_s) {
            prop_assert!(l.value <= s.value * (1.0 + 1e-12), "{} > {}", l.value, s.value);
        }
    }

    #[test]
    fn more_memory_never_turns_a_fit_into_a_spill(d in 0usize..1000, m in 0usize..1000, q in 0usize..1000, ctx in 1u64..200_000, extra_gib in 0.0f64..512.0) {
        let db = db();
        let dev = &db.devices[pick(d, db.devices.len())];
        let model = &db.models[pick(m, db.models.len())];
        let quant = &db.quants[pick(q, db.quants.len())];
        let before = predict(&build(db, dev, model, quant, &scenario_opts(ctx)).unwrap().scenario).placement.verdict;
        let mut bigger = dev.clone();
        bigger.fast.capacity += Bytes::from_gib(extra_gib);
        bigger.fast.usable += Bytes::from_gib(extra_gib);
        let after = predict(&build(db, &bigger, model, quant, &scenario_opts(ctx)).unwrap().scenario).placement.verdict;
        prop_assert!(after <= before, "{:?} -> {:?}", before, after);
    }

    #[test]
    fn prefill_time_is_at_least_its_compute_bound(d in 0usize..1000, m in 0usize..1000, prompt in 1u64..65_536) {
        let db = db();
        let dev = &db.devices[pick(d, db.devices.len())];
        let model = &db.models[pick(m, db.models.len())];
        let quant = db.quant("q8_0").unwrap();
        let p = predict(&build(db, dev, model, quant, &scenario_opts(prompt)).unwrap().scenario);
        // 2 FLOP per active matmul parameter per token, at 100% of the FP16 peak
        let bound = 2.0 * param_groups(model).active_matmul() * prompt as f64 / dev.fp16_peak.0;
        prop_assert!(p.prefill.time.0 >= bound * (1.0 - 1e-12));
    }
}
