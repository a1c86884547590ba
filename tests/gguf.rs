//! GGUF header reading: tiny model files written here (llama-shaped, MoE, MLA, hybrid,
//! sliding-window) give the exact spec and byte counts. Split files, `models import` and
//! `--gguf` on the CLI: `tests/gguf_import.rs`; hostile files: `tests/gguf_hostile.rs`.

mod gguf_writer;

use gguf_writer::models::{deepseek2, llama, qwen3moe, qwen3next};
use gguf_writer::{layer, s, total_bytes, write, T, V};
use tokenfit::db::model::{FfnKind, Mixer};
use tokenfit::db::Db;
use tokenfit::import::load_model_file;
use tokenfit::model::footprint::kv_bytes_per_token;
use tokenfit::model::params::param_groups;

fn db() -> Db {
    Db::builtin().expect("databases load")
}

/// Σ elements of the weight matrices (2-D and up): what the parameter rules count
/// (norms, biases and other vectors excluded).
fn matrix_params(ts: &[T]) -> u64 {
    ts.iter()
        .filter(|t| t.dims.len() >= 2)
        .map(T::elements)
        .sum()
}

#[test]
fn llama_shaped_file_gives_the_spec_and_exact_bytes() {
    let d = gguf_writer::dir("llama");
    let p = d.join("Tiny-Llama-Q4_K_M.gguf");
    let (kv, ts) = llama();
    write(&p, &kv, &ts);
    let db = db();
    let m = load_model_file(&db, &p).expect("reads");
    assert_eq!(m.format, "gguf");
    assert_eq!(m.model.id, "tiny-llama-q4_k_m");
    assert_eq!(m.model.name, "Tiny Llama");
    assert_eq!(m.model.family, "llama");
    assert_eq!(m.model.hidden_size, 256);
    assert_eq!(m.model.vocab_size, 512);
    assert!(!m.model.tied_embeddings);
    assert_eq!(m.model.max_context, 4096);
    let a = m.model.attention.as_ref().unwrap();
    assert_eq!(
        (a.heads, a.kv_heads, a.head_dim, a.q_gate),
        (4, 2, 64, false)
    );
    assert_eq!(a.sliding_window, None);
    let f = m.model.ffn.as_ref().unwrap();
    assert_eq!((f.size, f.gated), (512, true));
    assert!(m.model.moe.is_none());
    assert_eq!(layer(&m.model), vec![(2, Mixer::Full, FfnKind::Dense)]);
    // KV per token, f16: 2 layers × (K + V) × 2 KV heads × 64 × 2 bytes = 1024.
    assert_eq!(kv_bytes_per_token(&m.model, 2.0).0, 1024.0);
    // Bytes: q4_k 144 B / 256 weights, q6_k 210 B / 256, f32 4 B.
    // embd 131072/256×144 = 73728; output 131072/256×210 = 107520; norms 3×256×4 = 3072 … summed:
    let expected = total_bytes(&ts);
    assert_eq!(m.weights_bytes.unwrap().0, expected as f64);
    assert_eq!(
        expected,
        73728 + 107520 + 1024 + 2 * (2048 + 36864 + 18432 + 26880 + 36864 + 73728 + 73728 + 107520)
    );
    assert_eq!(m.quant.as_deref(), Some("q4_k_m"));
    let p = param_groups(&m.model);
    assert_eq!(p.total(), matrix_params(&ts) as f64);
    assert_eq!(m.model.published.total_params_b, p.total() / 1e9);
    assert!(m
        .model
        .published
        .source
        .contains("computed from GGUF header"));
    let q4 = m
        .bytes_by_type
        .iter()
        .find(|b| b.type_id == "q4_k")
        .unwrap();
    assert_eq!(q4.tensors, 1 + 2 * 5);
}

#[test]
fn moe_file_gives_experts_and_dominant_type_quant() {
    let d = gguf_writer::dir("moe");
    let p = d.join("tiny-moe.gguf");
    let (kv, ts) = qwen3moe();
    write(&p, &kv, &ts);
    let m = load_model_file(&db(), &p).expect("reads");
    assert_eq!(m.model.family, "qwen3_moe");
    assert!(m.model.tied_embeddings, "no output.weight: tied");
    let a = m.model.attention.as_ref().unwrap();
    assert_eq!((a.heads, a.kv_heads, a.head_dim), (4, 1, 128));
    let e = m.model.moe.as_ref().unwrap();
    assert_eq!(
        (e.experts, e.experts_per_token, e.expert_ffn_size),
        (8, 2, 256)
    );
    assert_eq!((e.shared_experts, e.gated), (0, true));
    assert!(
        m.model.ffn.is_none(),
        "feed_forward_length is unused without dense layers"
    );
    assert_eq!(layer(&m.model), vec![(2, Mixer::Full, FfnKind::Moe)]);
    assert_eq!(m.weights_bytes.unwrap().0, total_bytes(&ts) as f64);
    // No general.file_type: the type holding most bytes (q4_k experts) names the scheme.
    assert_eq!(m.quant.as_deref(), Some("q4_k_m"));
    let p = param_groups(&m.model);
    assert_eq!(p.total(), matrix_params(&ts) as f64);
    // Active: 2 of 8 experts: total − 2 layers × 6 experts × 3 × 256 × 256.
    assert_eq!(p.active(), p.total() - 2.0 * 6.0 * 3.0 * 65536.0);
}

#[test]
fn mla_moe_file_with_shared_experts_and_an_mtp_block() {
    let d = gguf_writer::dir("mla");
    let p = d.join("tiny-deepseek.gguf");
    let (kv, ts) = deepseek2();
    write(&p, &kv, &ts);
    let m = load_model_file(&db(), &p).expect("reads");
    assert_eq!(m.model.family, "deepseek_v3");
    let a = m.model.mla.as_ref().unwrap();
    assert_eq!(
        (
            a.heads,
            a.q_lora_rank,
            a.kv_lora_rank,
            a.qk_nope_head_dim,
            a.qk_rope_head_dim,
            a.v_head_dim
        ),
        (4, Some(128), 64, 64, 32, 64)
    );
    assert!(m.model.attention.is_none());
    let e = m.model.moe.as_ref().unwrap();
    assert_eq!(
        (e.experts, e.experts_per_token, e.expert_ffn_size),
        (4, 2, 256)
    );
    assert_eq!((e.shared_experts, e.shared_expert_ffn_size), (1, 256));
    assert_eq!(m.model.ffn.as_ref().unwrap().size, 512);
    // Block 3 is the MTP block: out of the stack, in the bytes.
    assert_eq!(
        layer(&m.model),
        vec![
            (1, Mixer::Mla, FfnKind::Dense),
            (2, Mixer::Mla, FfnKind::Moe)
        ]
    );
    assert_eq!(m.weights_bytes.unwrap().0, total_bytes(&ts) as f64);
    assert_eq!(m.quant.as_deref(), Some("q8_0"));
    let mtp: u64 = ts
        .iter()
        .filter(|t| t.name.starts_with("blk.3."))
        .map(T::elements)
        .sum();
    assert_eq!(
        param_groups(&m.model).total(),
        (matrix_params(&ts) - mtp) as f64
    );
    // MLA KV per token: (kv_lora 64 + rope 32) × 3 layers × 2 bytes.
    assert_eq!(kv_bytes_per_token(&m.model, 2.0).0, 96.0 * 3.0 * 2.0);
}

#[test]
fn hybrid_file_gives_linear_and_gated_attention_layers() {
    let d = gguf_writer::dir("hybrid");
    let p = d.join("tiny-next.gguf");
    let (kv, ts) = qwen3next(true);
    write(&p, &kv, &ts);
    let m = load_model_file(&db(), &p).expect("reads");
    assert_eq!(m.model.family, "qwen3_next");
    assert_eq!(
        layer(&m.model),
        vec![
            (3, Mixer::Linear, FfnKind::Moe),
            (1, Mixer::Full, FfnKind::Moe)
        ]
    );
    let a = m.model.attention.as_ref().unwrap();
    assert_eq!(
        (a.heads, a.kv_heads, a.head_dim, a.q_gate),
        (2, 1, 128, true)
    );
    let l = m.model.linear.as_ref().unwrap();
    assert_eq!(
        (
            l.key_heads,
            l.value_heads,
            l.key_head_dim,
            l.value_head_dim,
            l.conv_kernel
        ),
        (2, 4, 64, 64, 4)
    );
    let e = m.model.moe.as_ref().unwrap();
    assert_eq!(
        (
            e.expert_ffn_size,
            e.shared_experts,
            e.shared_expert_ffn_size
        ),
        (256, 1, 256)
    );
    assert_eq!(m.weights_bytes.unwrap().0, total_bytes(&ts) as f64);
    assert_eq!(param_groups(&m.model).total(), matrix_params(&ts) as f64);
    // Only the one full-attention layer grows the KV cache: 2 × 1 × 128 × 2 bytes.
    assert_eq!(kv_bytes_per_token(&m.model, 2.0).0, 512.0);
    // q8_0 holds most bytes, but general.file_type 38 (MOSTLY_MXFP4_MOE) names the scheme.
    assert_eq!(m.bytes_by_type[0].type_id, "q8_0");
    assert_eq!(m.quant.as_deref(), Some("mxfp4_moe"));
}

#[test]
fn header_only_hybrid_uses_the_full_attention_interval() {
    let d = gguf_writer::dir("hybrid-keys");
    let p = d.join("keys-only.gguf");
    let (mut kv, _) = qwen3next(false);
    kv.retain(|(k, _)| *k != "qwen3next.full_attention_interval");
    kv.push(("qwen3next.full_attention_interval", V::U32(2)));
    write(&p, &kv, &[]);
    let m = load_model_file(&db(), &p).expect("reads");
    assert_eq!(
        layer(&m.model),
        vec![
            (1, Mixer::Linear, FfnKind::Moe),
            (1, Mixer::Full, FfnKind::Moe),
            (1, Mixer::Linear, FfnKind::Moe),
            (1, Mixer::Full, FfnKind::Moe)
        ]
    );
    assert_eq!(
        m.weights_bytes, None,
        "no tensors: nothing exact to say about the weights"
    );
    assert!(m.model.attention.as_ref().unwrap().q_gate);
}

#[test]
fn gemma3_sliding_window_pattern_and_per_layer_arrays() {
    let d = gguf_writer::dir("gemma3");
    let p = d.join("tiny-gemma.gguf");
    let kv = vec![
        ("general.architecture", s("gemma3")),
        ("gemma3.block_count", V::U32(8)),
        ("gemma3.context_length", V::U32(131072)),
        ("gemma3.embedding_length", V::U32(256)),
        ("gemma3.feed_forward_length", V::ArrU32(vec![512; 8])),
        ("gemma3.attention.head_count", V::U32(4)),
        ("gemma3.attention.head_count_kv", V::ArrU32(vec![2; 8])),
        ("gemma3.attention.key_length", V::U32(64)),
        ("gemma3.attention.sliding_window", V::U32(1024)),
        ("gemma3.vocab_size", V::U32(512)),
    ];
    write(&p, &kv, &[]);
    let m = load_model_file(&db(), &p).expect("reads");
    // Built-in pattern 6: layers 0-4 sliding, 5 full, 6-7 sliding.
    assert_eq!(
        layer(&m.model),
        vec![
            (5, Mixer::Sliding, FfnKind::Dense),
            (1, Mixer::Full, FfnKind::Dense),
            (2, Mixer::Sliding, FfnKind::Dense)
        ]
    );
    let a = m.model.attention.as_ref().unwrap();
    assert_eq!((a.kv_heads, a.sliding_window), (2, Some(1024)));
    // An explicit per-layer pattern wins.
    let mut kv2 = kv.clone();
    kv2.push((
        "gemma3.attention.sliding_window_pattern",
        V::ArrBool(vec![true, false, true, false, true, false, true, false]),
    ));
    write(&p, &kv2, &[]);
    let m = load_model_file(&db(), &p).expect("reads");
    assert_eq!(m.model.count_mixer(Mixer::Sliding), 4);
    assert_eq!(m.model.layers.len(), 8);
}
