//! Hugging Face `config.json` reading: configs written here with the published values
//! (`/work/shared/reference/model-configs.yaml`, each model's own config.json) give the
//! architecture of the built-in database entry; an unknown architecture names what is missing.

use serde_json::json;
use tokenfit::db::model::ModelRaw;
use tokenfit::db::Db;
use tokenfit::import::load_model_file;
use tokenfit::model::footprint::{kv_bytes_per_token, state_bytes};
use tokenfit::model::params::param_groups;

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hfconfig-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `<name>/config.json` and reads it back.
fn import(name: &str, v: serde_json::Value) -> tokenfit::Result<ModelRaw> {
    let d = dir(name);
    let p = d.join("config.json");
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    load_model_file(&Db::builtin().unwrap(), &p).map(|m| m.model)
}

/// The imported spec matches the database entry: parameter totals and active counts within
/// 0.1%, and the same layer stack, KV growth and recurrent state.
fn matches_db(m: &ModelRaw, id: &str) {
    let db = Db::builtin().unwrap();
    let want = db.model(id).unwrap();
    let (a, b) = (param_groups(m), param_groups(want));
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-3 * y;
    assert!(
        close(a.total(), b.total()),
        "{id}: total {} vs {}",
        a.total(),
        b.total()
    );
    assert!(
        close(a.active(), b.active()),
        "{id}: active {} vs {}",
        a.active(),
        b.active()
    );
    assert_eq!(m.n_layers(), want.n_layers(), "{id}");
    let kinds = |m: &ModelRaw| {
        m.layers
            .iter()
            .flat_map(|g| std::iter::repeat_n((g.mixer, g.ffn), g.count as usize))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(m), kinds(want), "{id}: layer stack");
    assert_eq!(
        kv_bytes_per_token(m, 2.0).0,
        kv_bytes_per_token(want, 2.0).0,
        "{id}: KV"
    );
    assert_eq!(state_bytes(m).0, state_bytes(want).0, "{id}: state");
    assert_eq!(m.max_context, want.max_context, "{id}");
    assert_eq!(m.tied_embeddings, want.tied_embeddings, "{id}");
    assert!(m.published.source.contains("computed from"), "{id}");
}

#[test]
fn llama_3_1_8b() {
    let m = import(
        "Llama-3.1-8B",
        json!({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "num_hidden_layers": 32, "hidden_size": 4096, "intermediate_size": 14336,
            "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
            "tie_word_embeddings": false, "max_position_embeddings": 131072,
            "rope_theta": 500000.0, "rms_norm_eps": 1e-05, "hidden_act": "silu",
            "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                             "original_max_position_embeddings": 8192, "rope_type": "llama3"}
        }),
    )
    .unwrap();
    assert_eq!(m.id, "llama-3.1-8b");
    assert_eq!(m.attention.as_ref().unwrap().head_dim, 128);
    matches_db(&m, "llama-3.1-8b");
}

#[test]
fn qwen3_30b_a3b() {
    let m = import(
        "Qwen3-30B-A3B",
        json!({
            "_name_or_path": "Qwen/Qwen3-30B-A3B",
            "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe",
            "num_hidden_layers": 48, "hidden_size": 2048, "intermediate_size": 6144,
            "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
            "vocab_size": 151936, "tie_word_embeddings": false, "max_position_embeddings": 40960,
            "use_sliding_window": false, "sliding_window": null, "max_window_layers": 48,
            "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768,
            "norm_topk_prob": true, "mlp_only_layers": [], "decoder_sparse_step": 1
        }),
    )
    .unwrap();
    assert_eq!(m.hf_repo.as_deref(), Some("Qwen/Qwen3-30B-A3B"));
    assert_eq!(m.name, "Qwen3-30B-A3B");
    assert!(
        m.ffn.is_none(),
        "intermediate_size is unused: every layer is MoE"
    );
    matches_db(&m, "qwen3-30b-a3b");
}

#[test]
fn gpt_oss_20b() {
    let types: Vec<&str> = (0..24)
        .map(|i| {
            if i % 2 == 0 {
                "sliding_attention"
            } else {
                "full_attention"
            }
        })
        .collect();
    let m = import(
        "gpt-oss-20b",
        json!({
            "architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss",
            "num_hidden_layers": 24, "hidden_size": 2880, "intermediate_size": 2880,
            "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
            "vocab_size": 201088, "tie_word_embeddings": false, "max_position_embeddings": 131072,
            "sliding_window": 128, "layer_types": types,
            "num_local_experts": 32, "num_experts_per_tok": 4, "experts_per_token": 4,
            "quantization_config": {"quant_method": "mxfp4",
                "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
                                           "model.embed_tokens", "lm_head"]}
        }),
    )
    .unwrap();
    assert_eq!(
        m.native_quant.as_ref().and_then(|n| n.experts.as_deref()),
        Some("mxfp4")
    );
    assert_eq!(m.attention.as_ref().unwrap().sliding_window, Some(128));
    matches_db(&m, "gpt-oss-20b");
}

#[test]
fn deepseek_v3() {
    let m = import(
        "DeepSeek-V3",
        json!({
            "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
            "num_hidden_layers": 61, "hidden_size": 7168, "intermediate_size": 18432,
            "num_attention_heads": 128, "num_key_value_heads": 128, "vocab_size": 129280,
            "tie_word_embeddings": false, "max_position_embeddings": 163840,
            "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
            "qk_rope_head_dim": 64, "v_head_dim": 128, "num_nextn_predict_layers": 1,
            "n_routed_experts": 256, "num_experts_per_tok": 8, "n_shared_experts": 1,
            "moe_intermediate_size": 2048, "first_k_dense_replace": 3, "moe_layer_freq": 1,
            "quantization_config": {"quant_method": "fp8", "fmt": "e4m3",
                                    "weight_block_size": [128, 128]}
        }),
    )
    .unwrap();
    assert_eq!(m.mla.as_ref().unwrap().q_lora_rank, Some(1536));
    matches_db(&m, "deepseek-v3");
}

#[test]
fn qwen3_6_27b_text_config() {
    let types: Vec<&str> = (0..64)
        .map(|i| {
            if i % 4 == 3 {
                "full_attention"
            } else {
                "linear_attention"
            }
        })
        .collect();
    let m = import(
        "Qwen3.6-27B",
        json!({
            "architectures": ["Qwen3_5ForConditionalGeneration"], "model_type": "qwen3_5",
            "tie_word_embeddings": false,
            "vision_config": {"depth": 27, "hidden_size": 1152, "model_type": "qwen3_5"},
            "text_config": {
                "model_type": "qwen3_5_text",
                "num_hidden_layers": 64, "hidden_size": 5120, "intermediate_size": 17408,
                "num_attention_heads": 24, "num_key_value_heads": 4, "head_dim": 256,
                "vocab_size": 248320, "max_position_embeddings": 262144,
                "attn_output_gate": true, "full_attention_interval": 4, "layer_types": types,
                "linear_num_key_heads": 16, "linear_num_value_heads": 48,
                "linear_key_head_dim": 128, "linear_value_head_dim": 128,
                "linear_conv_kernel_dim": 4, "mtp_num_hidden_layers": 1
            }
        }),
    )
    .unwrap();
    assert_eq!(m.family, "qwen3_5");
    assert!(m.attention.as_ref().unwrap().q_gate);
    matches_db(&m, "qwen3.6-27b");
}

#[test]
fn more_families_match_the_database() {
    let next = json!({
        "model_type": "qwen3_next", "num_hidden_layers": 48, "hidden_size": 2048,
        "intermediate_size": 5120, "num_attention_heads": 16, "num_key_value_heads": 2,
        "head_dim": 256, "vocab_size": 151936, "tie_word_embeddings": false,
        "max_position_embeddings": 262144, "full_attention_interval": 4,
        "linear_num_key_heads": 16, "linear_num_value_heads": 32, "linear_key_head_dim": 128,
        "linear_value_head_dim": 128, "linear_conv_kernel_dim": 4, "num_experts": 512,
        "num_experts_per_tok": 10, "moe_intermediate_size": 512,
        "shared_expert_intermediate_size": 512, "mlp_only_layers": [], "decoder_sparse_step": 1
    });
    matches_db(&import("next", next).unwrap(), "qwen3-next-80b-a3b");
    let mixtral = json!({
        "model_type": "mixtral", "num_hidden_layers": 32, "hidden_size": 4096,
        "intermediate_size": 14336, "num_attention_heads": 32, "num_key_value_heads": 8,
        "vocab_size": 32000, "tie_word_embeddings": false, "max_position_embeddings": 32768,
        "sliding_window": null, "num_local_experts": 8, "num_experts_per_tok": 2
    });
    matches_db(&import("mixtral", mixtral).unwrap(), "mixtral-8x7b");
    let glm = json!({
        "model_type": "glm4_moe", "num_hidden_layers": 46, "hidden_size": 4096,
        "intermediate_size": 10944, "num_attention_heads": 96, "num_key_value_heads": 8,
        "head_dim": 128, "vocab_size": 151552, "tie_word_embeddings": false,
        "max_position_embeddings": 131072, "num_nextn_predict_layers": 1,
        "n_routed_experts": 128, "num_experts_per_tok": 8, "n_shared_experts": 1,
        "moe_intermediate_size": 1408, "first_k_dense_replace": 1
    });
    matches_db(&import("glm", glm).unwrap(), "glm-4.5-air");
    // Mistral 3: a multimodal wrapper whose text_config is a plain mistral.
    let mistral = json!({
        "model_type": "mistral3", "tie_word_embeddings": false,
        "vision_config": {"model_type": "pixtral", "hidden_size": 1024},
        "text_config": {"model_type": "mistral", "num_hidden_layers": 40, "hidden_size": 5120,
            "intermediate_size": 32768, "num_attention_heads": 32, "num_key_value_heads": 8,
            "head_dim": 128, "vocab_size": 131072, "max_position_embeddings": 131072,
            "sliding_window": null}
    });
    matches_db(
        &import("mistral", mistral).unwrap(),
        "mistral-small-3.1-24b",
    );
    // Qwen2: sliding_window is set but inert while use_sliding_window is false.
    let qwen2 = json!({
        "model_type": "qwen2", "num_hidden_layers": 28, "hidden_size": 3584,
        "intermediate_size": 18944, "num_attention_heads": 28, "num_key_value_heads": 4,
        "vocab_size": 152064, "tie_word_embeddings": false, "max_position_embeddings": 32768,
        "use_sliding_window": false, "sliding_window": 131072, "max_window_layers": 28
    });
    matches_db(&import("qwen2", qwen2).unwrap(), "qwen2.5-coder-7b");
    // Gemma 3 4B's text_config lists five keys; the rest are Gemma3TextConfig defaults.
    let gemma = json!({
        "model_type": "gemma3",
        "text_config": {"model_type": "gemma3_text", "num_hidden_layers": 34,
            "hidden_size": 2560, "intermediate_size": 10240, "sliding_window": 1024,
            "rope_scaling": {"factor": 8.0, "rope_type": "linear"}}
    });
    matches_db(&import("gemma", gemma).unwrap(), "gemma-3-4b");
    let nemotron = json!({
        "model_type": "nemotron_h", "num_hidden_layers": 52, "hidden_size": 2688,
        "intermediate_size": 1856, "num_attention_heads": 32, "num_key_value_heads": 2,
        "head_dim": 128, "vocab_size": 131072, "tie_word_embeddings": false,
        "max_position_embeddings": 262144,
        "hybrid_override_pattern": "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME",
        "mamba_num_heads": 64, "mamba_head_dim": 64, "ssm_state_size": 128, "n_groups": 8,
        "conv_kernel": 4, "n_routed_experts": 128, "num_experts_per_tok": 6,
        "n_shared_experts": 1, "moe_intermediate_size": 1856,
        "moe_shared_expert_intermediate_size": 3712
    });
    let m = import("nemotron", nemotron).unwrap();
    let p = param_groups(&m);
    let want = param_groups(
        Db::builtin()
            .unwrap()
            .model("nemotron-3-nano-30b-a3b")
            .unwrap(),
    );
    assert!((p.total() - want.total()).abs() <= 1e-3 * want.total());
    assert_eq!(m.n_layers(), 52);
}

#[test]
fn unknown_architecture_names_the_missing_fields() {
    let e = import(
        "mystery",
        json!({"model_type": "mystery_lm", "hidden_size": 1024, "vocab_size": 32000}),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("model_type 'mystery_lm'"), "{e}");
    assert!(e.contains("not a known architecture"), "{e}");
    for k in [
        "num_hidden_layers",
        "max_position_embeddings",
        "num_attention_heads",
        "intermediate_size",
    ] {
        assert!(e.contains(k), "{e} lacks {k}");
    }
    assert!(!e.contains("hidden_size,"), "{e}");
    // An unknown MoE is refused rather than read as dense.
    let e = import(
        "mystery-moe",
        json!({"model_type": "mystery_moe", "num_hidden_layers": 2, "hidden_size": 64,
               "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
               "max_position_embeddings": 2048, "num_experts": 8}),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("num_experts"), "{e}");
    // A known family with a key missing says which.
    let e = import(
        "qwen-missing",
        json!({"model_type": "qwen3_moe", "num_hidden_layers": 2, "hidden_size": 64,
               "num_attention_heads": 4, "vocab_size": 100, "max_position_embeddings": 2048,
               "num_experts": 8, "num_experts_per_tok": 2}),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing moe_intermediate_size"), "{e}");
    // Not JSON at all.
    let d = dir("garbage");
    std::fs::write(d.join("config.json"), "{ not json").unwrap();
    assert!(load_model_file(&Db::builtin().unwrap(), &d.join("config.json")).is_err());
}

#[test]
fn a_known_dense_family_without_a_database_entry_still_reads() {
    let m = import(
        "phi-4",
        json!({"model_type": "phi3", "num_hidden_layers": 40, "hidden_size": 5120,
               "intermediate_size": 17920, "num_attention_heads": 40, "num_key_value_heads": 10,
               "vocab_size": 100352, "tie_word_embeddings": false,
               "max_position_embeddings": 16384, "sliding_window": null}),
    )
    .unwrap();
    matches_db(&m, "phi-4");
}
