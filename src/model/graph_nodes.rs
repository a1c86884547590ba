//! Kernels a decode step launches per layer: the compute nodes llama.cpp's graph builder adds
//! for one layer at one token, by architecture. A step's fixed time per layer (`layer_s`) is
//! mostly kernel launches and the synchronisation between them, so a layer of an architecture
//! with more nodes (Gemma 3: q/k norms and the post-attention and post-FFN norms, 28 nodes) costs
//! more than a Llama layer (19), and the fitted per-layer time is per Llama-layer equivalent.
//!
//! Counted in the llama.cpp source of commit 0c1e570 (`src/models/<builder>.cpp`, the helpers
//! `build_norm`, `build_qkv`, `build_attn`, `build_ffn` and `build_moe_ffn` of
//! `src/llama-graph.cpp`), one token, one sequence, flash attention on, an F16 KV cache; views,
//! reshapes, permutes and transposes are metadata, not kernels, and are not counted. A block
//! counts its pre-norm (`rms_norm` + `mul`) and its residual `add`. The attention block of a
//! Llama layer: norm 2, Q/K/V `mul_mat` 3, `rope` 2, K and V `set_rows` 2, `flash_attn_ext` 1,
//! output `mul_mat` 1, `add` 1 = 12; its FFN: norm 2, up, gate, `swiglu`, down 4, `add` 1 = 7.
//! A MoE block's nodes that run once per layer (router, gating, top-k, weight normalisation,
//! the three `mul_mat_id`, shared expert) are here; the `k − 1` adds that sum the routed experts
//! grow with the experts a token uses and are part of the per-expert time (`expert_s`).
//! Counts are graph nodes before a backend fuses some of them (CUDA merges `rms_norm` + `mul`,
//! and the top-k routing chain), so they rank architectures rather than count launches.

use crate::db::model::{FfnKind, Mixer, ModelRaw};

/// Nodes of one Llama layer (attention 12 + dense FFN 7): the unit of `layer_s`.
pub const LLAMA_LAYER_NODES: f64 = 19.0;

/// Nodes per block of one architecture: attention by mixer kind, FFN by kind.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Blocks {
    /// Full softmax attention.
    full: f64,
    /// Sliding-window (or chunked) softmax attention.
    sliding: f64,
    /// Multi-head latent attention (absorbed, as llama.cpp decodes it).
    mla: f64,
    /// Gated DeltaNet linear attention.
    linear: f64,
    /// Mamba2.
    mamba: f64,
    /// Dense FFN.
    dense: f64,
    /// MoE FFN, the nodes that run once per layer.
    moe: f64,
}

/// The blocks of an architecture the table below does not name: Llama's attention and FFN,
/// the MoE block of `build_moe_ffn` with softmax gating and normalised weights (Mixtral, Qwen3
/// MoE: norm 2, router, `soft_max`, `argsort`, `get_rows`, `sum_rows`, `clamp`, `div`, three
/// `mul_mat_id`, `swiglu`, `mul`, `add` = 15), DeepSeek's MLA (20), Qwen3.5's Gated DeltaNet
/// (28) and Nemotron-H's Mamba2 (21).
const GENERIC: Blocks = Blocks {
    full: 12.0,
    sliding: 12.0,
    mla: 20.0,
    linear: 28.0,
    mamba: 21.0,
    dense: 7.0,
    moe: 15.0,
};

/// [`GENERIC`] with full and sliding-window attention blocks of `n` nodes.
const fn attn(n: f64) -> Blocks {
    Blocks {
        full: n,
        sliding: n,
        ..GENERIC
    }
}

/// The blocks of each model family (the model database's `family`, a `config.json`
/// `model_type`, a GGUF architecture as the importer names it), from its builder in llama.cpp
/// 0c1e570; llama, mistral, mixtral and what the table does not name take [`GENERIC`].
const FAMILIES: [(&[&str], Blocks); 16] = [
    // qwen2.cpp: Q/K/V biases (+3).
    (&["qwen2"], attn(15.0)),
    // qwen3.cpp, qwen3moe.cpp: q/k RMS norms (+4).
    (&["qwen3", "qwen3_moe"], attn(16.0)),
    // qwen3next.cpp: gated full attention 19, Gated DeltaNet 31 (two `repeat` when key and
    // value heads differ), MoE with a sigmoid-gated shared expert 23.
    (
        &["qwen3_next"],
        Blocks {
            linear: 31.0,
            moe: 23.0,
            ..attn(19.0)
        },
    ),
    // qwen35.cpp, qwen35moe.cpp: fused Gated DeltaNet 28.
    (
        &["qwen3_5", "qwen3_5_moe"],
        Blocks {
            moe: 23.0,
            ..attn(19.0)
        },
    ),
    // gemma.cpp: a Q `scale` (+1).
    (&["gemma"], attn(13.0)),
    // gemma3.cpp: q/k norms, Q scale, post-attention norm (attention 19); post-FFN norm
    // (FFN 9).
    (
        &["gemma3"],
        Blocks {
            dense: 9.0,
            ..attn(19.0)
        },
    ),
    // openai-moe.cpp: Q/K/V and output biases (16); softmax-weight gating, three expert
    // biases (`add_id`), `swiglu_oai` (16).
    (
        &["gpt_oss"],
        Blocks {
            moe: 16.0,
            ..attn(16.0)
        },
    ),
    // glm4-moe.cpp: Q/K/V biases (15); sigmoid gating with a bias, normalised and scaled
    // weights, one shared expert (22).
    (
        &["glm4_moe"],
        Blocks {
            moe: 22.0,
            ..attn(15.0)
        },
    ),
    // deepseek2.cpp, which GLM-4.7-Flash converts to: the MoE block of GLM-4.5 (22); with
    // DeepSeek-V3's group-limited routing (n_group 8) 7 more. A GGUF of either reads as
    // `deepseek2`, which the importer names deepseek_v3.
    (
        &["glm4_moe_lite"],
        Blocks {
            moe: 22.0,
            ..GENERIC
        },
    ),
    (
        &["deepseek_v3"],
        Blocks {
            moe: 29.0,
            ..GENERIC
        },
    ),
    // dots1.cpp: q/k norms (16); the GLM-4.5 MoE block (22).
    (
        &["dots1"],
        Blocks {
            moe: 22.0,
            ..attn(16.0)
        },
    ),
    // hunyuan-moe.cpp: q/k norms after rope (16); softmax gating with a shared MLP (20).
    (
        &["hunyuan_v1_moe", "hunyuan_moe"],
        Blocks {
            moe: 20.0,
            ..attn(16.0)
        },
    ),
    // llama4.cpp: chunked RoPE layers with L2 q/k norms 14 (Scout; Maverick's, without them,
    // 12), the NoPE global layers 11; sigmoid gating applied before the experts, a shared
    // expert, and a `cont` for one expert a token (19).
    (
        &["llama4"],
        Blocks {
            full: 11.0,
            sliding: 14.0,
            moe: 19.0,
            ..GENERIC
        },
    ),
    // minimax-m2.cpp: full-width q/k norms (16); sigmoid gating with a bias (16).
    (
        &["minimax_m2"],
        Blocks {
            moe: 16.0,
            ..attn(16.0)
        },
    ),
    // nemotron-h.cpp: each layer one block; attention without rope 10, Mamba2 21, the relu²
    // FFN 7, and the MoE block (router, sigmoid with bias, normalised and scaled weights, two
    // `mul_mat_id`, relu², the relu² shared expert) 22.
    (
        &["nemotron_h", "nemotron_h_moe"],
        Blocks {
            moe: 22.0,
            ..attn(10.0)
        },
    ),
    // phi3.cpp: fused QKV and Q scale (11); fused gate-up (6).
    (
        &["phi3"],
        Blocks {
            dense: 6.0,
            ..attn(11.0)
        },
    ),
];

/// The blocks of a model family.
fn blocks(family: &str) -> Blocks {
    let f = family.trim_end_matches("_text");
    FAMILIES
        .iter()
        .find(|(names, _)| names.contains(&f))
        .map_or(GENERIC, |(_, b)| *b)
}

/// The model's layers in Llama-layer equivalents: `Σ nodes(layer) / 19` over its layers.
pub fn layer_equivalents(m: &ModelRaw) -> f64 {
    let b = blocks(&m.family);
    let nodes: f64 = m
        .layers
        .iter()
        .map(|l| {
            let mixer = match l.mixer {
                Mixer::Full => b.full,
                Mixer::Sliding => b.sliding,
                Mixer::Mla => b.mla,
                Mixer::Linear => b.linear,
                Mixer::Mamba => b.mamba,
                Mixer::None => 0.0,
            };
            let ffn = match l.ffn {
                FfnKind::Dense => b.dense,
                FfnKind::Moe => b.moe,
                FfnKind::None => 0.0,
            };
            f64::from(l.count) * (mixer + ffn)
        })
        .sum();
    nodes / LLAMA_LAYER_NODES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn model(db: &Db, id: &str) -> ModelRaw {
        db.model(id).unwrap().clone()
    }

    #[test]
    fn a_llama_layer_is_one_and_other_architectures_count_their_nodes() {
        let db = Db::load(None).unwrap();
        // Llama: 12 + 7 nodes a layer, the unit.
        let l = model(&db, "llama-3.1-8b");
        assert_eq!(layer_equivalents(&l), f64::from(l.n_layers()));
        // Gemma 3 4B: 34 layers of 19 + 9 nodes.
        let g = model(&db, "gemma-3-4b");
        assert!((layer_equivalents(&g) - 34.0 * 28.0 / 19.0).abs() < 1e-9);
        // Nemotron 3 Nano: 23 Mamba2 blocks (21), 6 attention blocks (10), 23 MoE blocks (22),
        // each its own layer.
        let n = model(&db, "nemotron-3-nano-30b-a3b");
        let want = (23.0 * 21.0 + 6.0 * 10.0 + 23.0 * 22.0) / 19.0;
        assert!((layer_equivalents(&n) - want).abs() < 1e-9);
        // A MoE layer costs more than a dense one of the same attention.
        let q = model(&db, "qwen3-30b-a3b");
        assert!(layer_equivalents(&q) > f64::from(q.n_layers()) * 1.5);
    }

    #[test]
    fn family_names_from_gguf_and_config_files_find_their_builder() {
        // config.json's text model type; the names src/import/gguf/arch.rs gives GGUF
        // architectures (`qwen3moe` → qwen3_moe, `gpt-oss` → gpt_oss, `hunyuan-moe` →
        // hunyuan_moe, `deepseek2` → deepseek_v3, `nemotron_h_moe` as it is).
        assert_eq!(blocks("gemma3_text"), blocks("gemma3"));
        assert_ne!(blocks("gemma3"), GENERIC);
        for f in [
            "qwen3_moe",
            "gpt_oss",
            "hunyuan_moe",
            "deepseek_v3",
            "nemotron_h_moe",
        ] {
            assert_ne!(blocks(f), GENERIC, "{f}");
        }
        // An architecture the table does not name counts as Llama's blocks.
        assert_eq!(blocks("some-new-arch"), GENERIC);
    }
}
