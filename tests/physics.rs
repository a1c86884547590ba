//! Worked examples of the physics, the arithmetic in comments.

mod common;

use approx::assert_relative_eq;
use common::at_ctx;
use tokenfit::db::Db;
use tokenfit::model::footprint::{kv_bytes, state_bytes};
use tokenfit::model::predict::predict;
use tokenfit::model::Verdict;
use tokenfit::scenario::{resolve, Options};
use tokenfit::units::GIB;

fn db() -> Db {
    Db::builtin().expect("databases load")
}

#[test]
fn llama_3_3_70b_kv_cache_is_10_gib_at_32k() {
    let db = db();
    let m = db.model("llama-3.3-70b").unwrap();
    // 2 (K and V) × 80 layers × 8 KV heads × 128 head_dim × 2 bytes = 327,680 bytes per token
    assert_relative_eq!(kv_bytes(m, 1.0, 2.0).0, 327_680.0);
    // × 32,768 tokens = 10,737,418,240 bytes = 10 GiB
    assert_relative_eq!(kv_bytes(m, 32_768.0, 2.0).0 / GIB, 10.0);
}

#[test]
fn llama_3_3_70b_q8_at_32k_fits_96gb_and_m5_max_not_4090() {
    let db = db();
    let o = at_ctx(32_768);
    let pro = predict(
        &resolve(&db, "rtx-pro-6000-blackwell", "llama-3.3-70b", "q8_0", &o)
            .unwrap()
            .scenario,
    );
    assert_eq!(pro.placement.verdict, Verdict::Fits);
    // weights ≈ 70.55e9 × 8.5 / 8 = 74.96 GB = 69.8 GiB, + 10 GiB KV: room to spare on 96 GiB
    let headroom = (pro.placement.usable_fast - pro.placement.fast_bytes).0 / GIB;
    assert!(headroom > 5.0, "headroom {headroom:.1} GiB");
    let rtx = predict(
        &resolve(&db, "rtx-4090", "llama-3.3-70b", "q8_0", &o)
            .unwrap()
            .scenario,
    );
    assert_ne!(
        rtx.placement.verdict,
        Verdict::Fits,
        "a 24 GB card cannot hold 80 GiB"
    );
    let o_none = Options {
        offload: tokenfit::model::Offload::None,
        ..o.clone()
    };
    let rtx_none = predict(
        &resolve(&db, "rtx-4090", "llama-3.3-70b", "q8_0", &o_none)
            .unwrap()
            .scenario,
    );
    assert_eq!(rtx_none.placement.verdict, Verdict::DoesNotFit);
    let m5 = predict(
        &resolve(&db, "apple-m5-max-128gb", "llama-3.3-70b", "q8_0", &o)
            .unwrap()
            .scenario,
    );
    assert_eq!(
        m5.placement.verdict,
        Verdict::Fits,
        "within the default GPU wired limit"
    );
}

#[test]
fn qwen3_6_27b_only_full_attention_layers_hold_kv() {
    let db = db();
    let m = db.model("qwen3.6-27b").unwrap();
    // 16 full-attention layers × 2 × 4 KV heads × 256 head_dim × 2 bytes = 65,536 bytes per token
    assert_relative_eq!(kv_bytes(m, 1.0, 2.0).0, 65_536.0);
    // 48 Gated DeltaNet layers: fixed f32 state, the same at any context
    let s = state_bytes(m).0;
    assert!(s > 0.0);
    // per layer: 48 heads × 128 × 128 state + 3 × (2·16·128 + 48·128) conv = 786,432 + 30,720 elements
    assert_relative_eq!(s, 48.0 * (786_432.0 + 30_720.0) * 4.0);
}

#[test]
fn gpt_oss_sliding_layers_are_capped_at_their_window() {
    let db = db();
    let m = db.model("gpt-oss-120b").unwrap();
    let a = m.attention.as_ref().unwrap();
    let w = a.sliding_window.unwrap() as f64;
    let per_layer_tok = 2.0 * f64::from(a.kv_heads) * f64::from(a.head_dim) * 2.0;
    let full = f64::from(m.count_mixer(tokenfit::db::model::Mixer::Full));
    let sliding = f64::from(m.count_mixer(tokenfit::db::model::Mixer::Sliding));
    // Past the window only the full layers grow.
    let grow = kv_bytes(m, 65_536.0, 2.0).0 - kv_bytes(m, 32_768.0, 2.0).0;
    assert_relative_eq!(grow, full * per_layer_tok * 32_768.0);
    assert_relative_eq!(
        kv_bytes(m, 32_768.0, 2.0).0,
        (full * 32_768.0 + sliding * w) * per_layer_tok
    );
}

#[test]
fn deepseek_v3_holds_the_mla_latent_per_layer() {
    let db = db();
    let m = db.model("deepseek-v3").unwrap();
    // 61 layers × (kv_lora_rank 512 + rope 64) × 2 bytes = 70,272 bytes per token
    assert_relative_eq!(kv_bytes(m, 1.0, 2.0).0, 61.0 * 576.0 * 2.0);
}

#[test]
fn decode_never_exceeds_the_bandwidth_roofline_on_any_device() {
    let db = db();
    for d in &db.devices {
        for (m, q) in [
            ("llama-3.1-8b", "q4_k_m"),
            ("qwen3-30b-a3b", "q8_0"),
            ("llama-3.3-70b", "q4_k_m"),
        ] {
            let r = resolve(&db, d.id(), m, q, &at_ctx(8192)).unwrap();
            let p = predict(&r.scenario);
            if let Some(dec) = p.decode_tok_s {
                assert!(
                    dec.value <= p.roofline_tok_s * (1.0 + 1e-9),
                    "{} {m}: {} > {}",
                    d.id(),
                    dec.value,
                    p.roofline_tok_s
                );
                // and bandwidth / bytes per token, computed here by hand, bounds it too
                let bytes = p.decode.bytes_fast.0 + p.decode.bytes_host.0 + p.decode.bytes_link.0;
                let peak = d
                    .fast
                    .bandwidth
                    .0
                    .max(d.host.map_or(0.0, |h| h.bandwidth.0));
                assert!(dec.value <= peak / bytes * (1.0 + 1e-9));
            }
        }
    }
}

#[test]
fn spilling_layers_slow_decode_by_host_bandwidth() {
    let db = db();
    let o = at_ctx(4096);
    let fits = predict(
        &resolve(&db, "rtx-pro-6000-blackwell", "llama-3.3-70b", "q4_k_m", &o)
            .unwrap()
            .scenario,
    );
    let spills = predict(
        &resolve(&db, "rtx-4090", "llama-3.3-70b", "q4_k_m", &o)
            .unwrap()
            .scenario,
    );
    assert_eq!(spills.placement.verdict, Verdict::Spills);
    assert!(spills.placement.gpu_layers < spills.placement.n_layers);
    assert_eq!(spills.decode.bound.kind.as_str(), "memory");
    assert_eq!(spills.decode.bound.tier.as_str(), "host-ram");
    // the cliff: an order of magnitude or so slower than the card that holds it all
    assert!(spills.decode_tok_s.unwrap().value * 4.0 < fits.decode_tok_s.unwrap().value);
}

#[test]
fn a_tied_output_head_is_read_and_multiplied_every_token() {
    let db = db();
    let s = resolve(&db, "rtx-4090", "gemma-3-27b", "q4_k_m", &at_ctx(4096))
        .unwrap()
        .scenario;
    let w = &s.weights;
    // Gemma 3 ties its 262,208 × 5,376 table: nothing stored as output, yet the head's matmul
    // reads the whole table each token (llama.cpp loads it again as the output tensor).
    assert_eq!(w.output.0, 0.0);
    assert_eq!(w.head, w.embedding);
    assert_relative_eq!(
        w.read_per_token().0,
        (w.head + w.dense_layers + w.experts_active).0
    );
    let g = &s.params;
    assert_relative_eq!(g.head, 262_208.0 * 5_376.0);
    assert_relative_eq!(
        g.active_matmul(),
        g.head + g.non_embedding_dense() + g.experts_active
    );
    // In memory the table stands twice: the input table and the output copy.
    assert_relative_eq!(w.loaded().0, (w.total() + w.embedding).0);
    assert_eq!(predict(&s).footprint.weights, w.loaded());
}

#[test]
fn boards_with_little_power_per_tflop_sustain_less_than_their_datasheet_peak() {
    let db = db();
    let w = |id: &str| {
        let d = db.device(id).unwrap();
        d.raw.power_w / d.fp16_peak.tflops()
    };
    // The median power per peak TFLOP/s over the discrete Ada boards.
    let mut ada: Vec<f64> = db
        .devices
        .iter()
        .filter(|d| d.raw.family == "nvidia-ada" && d.raw.power_w > 0.0)
        .map(|d| d.raw.power_w / d.fp16_peak.tflops())
        .collect();
    ada.sort_by(f64::total_cmp);
    let w_fam = if ada.len() % 2 == 1 {
        ada[ada.len() / 2]
    } else {
        (ada[ada.len() / 2 - 1] + ada[ada.len() / 2]) / 2.0
    };
    // RTX 6000 Ada: 300 W for 364 TFLOP/s, 0.82 W per TFLOP/s against the family's ~1.5.
    let pro = db.device("rtx-6000-ada").unwrap();
    let factor = pro.sustained_peak.0 / pro.fp16_peak.0;
    assert_relative_eq!(
        factor,
        (w("rtx-6000-ada") / w_fam).cbrt(),
        max_relative = 1e-12
    );
    assert!((0.75..0.9).contains(&factor), "{factor}");
    // A board with more power per TFLOP/s than the family's holds its datasheet peak, no more;
    // SoCs and Apple GPUs keep theirs.
    for id in ["rtx-4080", "strix-halo-128gb", "dgx-spark", "apple-m4-max"] {
        let d = db.device(id).unwrap();
        assert_eq!(d.sustained_peak, d.fp16_peak, "{id}");
    }
    // Prefill matmuls run against the sustained peak.
    use tokenfit::model::placement::{footprint, place};
    use tokenfit::model::prefill::prefill_time;
    let s = resolve(&db, "rtx-6000-ada", "llama-2-7b", "q4_0", &at_ctx(4096))
        .unwrap()
        .scenario;
    let f = footprint(&s, 4096.0);
    let p = prefill_time(&s, &f, &place(&s, &f), 512.0, 0.0);
    let dense = s.params.active_matmul() - s.params.experts_active;
    assert_relative_eq!(
        p.t_compute.0,
        2.0 * dense * 512.0 / (pro.sustained_peak.0 * s.eff.compute_frac),
        max_relative = 1e-9
    );
}

#[test]
fn a_decode_step_pays_its_fixed_time_per_token_and_per_layer() {
    use tokenfit::model::decode::decode_step;
    use tokenfit::model::placement::{footprint, place};
    let db = db();
    let step = |model: &str, fa: bool| {
        let mut s = resolve(
            &db,
            "rtx-pro-6000-blackwell",
            model,
            "q4_k_m",
            &at_ctx(4096),
        )
        .unwrap()
        .scenario;
        s.flash_attn = fa;
        s.eff.fixed_s = 0.001;
        s.eff.layer_s = 2e-5;
        s.eff.layer_fa_s = -5e-6;
        s.eff.expert_s = 0.0;
        let f = footprint(&s, s.ctx as f64);
        let pl = place(&s, &f);
        decode_step(&s, &f, &pl, 4096.0).t_overhead.0
    };
    // Llama 3.1 8B has 32 blocks: 1 ms + 32 · 20 µs = 1.64 ms; with flash attention's fused
    // kernel saving 5 µs a block, 1 ms + 32 · 15 µs = 1.48 ms.
    assert_relative_eq!(
        step("llama-3.1-8b", false),
        0.001 + 32.0 * 2e-5,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        step("llama-3.1-8b", true),
        0.001 + 32.0 * 1.5e-5,
        max_relative = 1e-12
    );
    // Llama 3.3 70B has 80: 1 ms + 80 · 20 µs = 2.6 ms.
    assert_relative_eq!(
        step("llama-3.3-70b", false),
        0.001 + 80.0 * 2e-5,
        max_relative = 1e-12
    );
}
