//! Tiny models in GGUF form: the keys and tensors llama.cpp's converter writes for each
//! architecture, shrunk (hidden 256, a few layers).

use super::{s, t, F32, MXFP4, Q4_K, Q6_K, Q8_0, T, V};

/// Metadata pairs.
pub type Kv = Vec<(&'static str, V)>;

/// Llama-shaped: 2 layers, hidden 256, 4 heads of 64, 2 KV heads, FFN 512, vocab 512.
pub fn llama() -> (Kv, Vec<T>) {
    let kv = vec![
        ("general.architecture", s("llama")),
        ("general.name", s("Tiny Llama")),
        ("general.file_type", V::U32(15)),
        ("llama.block_count", V::U32(2)),
        ("llama.context_length", V::U32(4096)),
        ("llama.embedding_length", V::U32(256)),
        ("llama.feed_forward_length", V::U32(512)),
        ("llama.attention.head_count", V::U32(4)),
        ("llama.attention.head_count_kv", V::U32(2)),
        ("llama.rope.freq_base", V::F32(500000.0)),
        ("tokenizer.ggml.model", s("gpt2")),
        (
            "tokenizer.ggml.tokens",
            V::ArrStr((0..512).map(|i| format!("tok{i}")).collect()),
        ),
        ("tokenizer.ggml.token_type", V::ArrI32(vec![1; 512])),
    ];
    let mut ts = vec![
        t("token_embd.weight", &[256, 512], Q4_K),
        t("output_norm.weight", &[256], F32),
        t("output.weight", &[256, 512], Q6_K),
    ];
    for i in 0..2 {
        let n = |x: &str| format!("blk.{i}.{x}");
        ts.extend([
            t(&n("attn_norm.weight"), &[256], F32),
            t(&n("attn_q.weight"), &[256, 256], Q4_K),
            t(&n("attn_k.weight"), &[256, 128], Q4_K),
            t(&n("attn_v.weight"), &[256, 128], Q6_K),
            t(&n("attn_output.weight"), &[256, 256], Q4_K),
            t(&n("ffn_norm.weight"), &[256], F32),
            t(&n("ffn_gate.weight"), &[256, 512], Q4_K),
            t(&n("ffn_up.weight"), &[256, 512], Q4_K),
            t(&n("ffn_down.weight"), &[512, 256], Q6_K),
        ]);
    }
    (kv, ts)
}

/// Qwen3-MoE-shaped: 2 layers, 8 experts (2 used) of width 256, no output head (tied).
pub fn qwen3moe() -> (Kv, Vec<T>) {
    let kv = vec![
        ("general.architecture", s("qwen3moe")),
        ("qwen3moe.block_count", V::U32(2)),
        ("qwen3moe.context_length", V::U32(40960)),
        ("qwen3moe.embedding_length", V::U32(256)),
        ("qwen3moe.feed_forward_length", V::U32(768)),
        ("qwen3moe.attention.head_count", V::U32(4)),
        ("qwen3moe.attention.head_count_kv", V::U32(1)),
        ("qwen3moe.attention.key_length", V::U32(128)),
        ("qwen3moe.attention.value_length", V::U32(128)),
        ("qwen3moe.expert_count", V::U32(8)),
        ("qwen3moe.expert_used_count", V::U32(2)),
        ("qwen3moe.expert_feed_forward_length", V::U32(256)),
    ];
    let mut ts = vec![t("token_embd.weight", &[256, 512], Q8_0)];
    for i in 0..2 {
        let n = |x: &str| format!("blk.{i}.{x}");
        ts.extend([
            t(&n("attn_q.weight"), &[256, 512], Q8_0),
            t(&n("attn_k.weight"), &[256, 128], Q8_0),
            t(&n("attn_v.weight"), &[256, 128], Q8_0),
            t(&n("attn_output.weight"), &[512, 256], Q8_0),
            t(&n("ffn_gate_inp.weight"), &[256, 8], F32),
            t(&n("ffn_gate_exps.weight"), &[256, 256, 8], Q4_K),
            t(&n("ffn_up_exps.weight"), &[256, 256, 8], Q4_K),
            t(&n("ffn_down_exps.weight"), &[256, 256, 8], Q6_K),
        ]);
    }
    (kv, ts)
}

/// DeepSeek-V3-shaped (deepseek2 in llama.cpp): MLA, one leading dense block, 4 routed
/// experts (2 used) plus 1 shared, one MTP block left out of the stack.
pub fn deepseek2() -> (Kv, Vec<T>) {
    let kv = vec![
        ("general.architecture", s("deepseek2")),
        ("general.file_type", V::U32(7)),
        ("deepseek2.block_count", V::U32(4)),
        ("deepseek2.nextn_predict_layers", V::U32(1)),
        ("deepseek2.leading_dense_block_count", V::U32(1)),
        ("deepseek2.context_length", V::U32(163840)),
        ("deepseek2.embedding_length", V::U32(256)),
        ("deepseek2.feed_forward_length", V::U32(512)),
        ("deepseek2.attention.head_count", V::U32(4)),
        ("deepseek2.attention.head_count_kv", V::U32(1)),
        ("deepseek2.attention.q_lora_rank", V::U32(128)),
        ("deepseek2.attention.kv_lora_rank", V::U32(64)),
        ("deepseek2.attention.key_length", V::U32(96)),
        ("deepseek2.attention.value_length", V::U32(64)),
        ("deepseek2.attention.key_length_mla", V::U32(96)),
        ("deepseek2.attention.value_length_mla", V::U32(64)),
        ("deepseek2.rope.dimension_count", V::U32(32)),
        ("deepseek2.expert_count", V::U32(4)),
        ("deepseek2.expert_used_count", V::U32(2)),
        ("deepseek2.expert_shared_count", V::U32(1)),
        ("deepseek2.expert_feed_forward_length", V::U32(256)),
        ("deepseek2.vocab_size", V::U32(512)),
    ];
    let mut ts = vec![
        t("token_embd.weight", &[256, 512], Q8_0),
        t("output.weight", &[256, 512], Q8_0),
    ];
    for i in 0..4 {
        let n = |x: &str| format!("blk.{i}.{x}");
        ts.extend([
            t(&n("attn_q_a.weight"), &[256, 128], Q8_0),
            t(&n("attn_q_b.weight"), &[128, 384], Q8_0),
            t(&n("attn_kv_a_mqa.weight"), &[256, 96], Q8_0),
            t(&n("attn_kv_b.weight"), &[64, 512], Q8_0),
            t(&n("attn_output.weight"), &[256, 256], Q8_0),
        ]);
        if i == 0 {
            ts.extend([
                t(&n("ffn_gate.weight"), &[256, 512], Q8_0),
                t(&n("ffn_up.weight"), &[256, 512], Q8_0),
                t(&n("ffn_down.weight"), &[512, 256], Q8_0),
            ]);
        } else {
            ts.extend([
                t(&n("ffn_gate_inp.weight"), &[256, 4], F32),
                t(&n("ffn_gate_exps.weight"), &[256, 256, 4], Q8_0),
                t(&n("ffn_up_exps.weight"), &[256, 256, 4], Q8_0),
                t(&n("ffn_down_exps.weight"), &[256, 256, 4], Q8_0),
                t(&n("ffn_gate_shexp.weight"), &[256, 256], Q8_0),
                t(&n("ffn_up_shexp.weight"), &[256, 256], Q8_0),
                t(&n("ffn_down_shexp.weight"), &[256, 256], Q8_0),
            ]);
        }
    }
    (kv, ts)
}

/// Qwen3-Next-shaped hybrid: 3 Gated DeltaNet layers then 1 gated full-attention layer,
/// MoE with a shared expert everywhere.
pub fn qwen3next(with_tensors: bool) -> (Kv, Vec<T>) {
    let kv = vec![
        ("general.architecture", s("qwen3next")),
        ("qwen3next.block_count", V::U32(4)),
        ("qwen3next.context_length", V::U32(262144)),
        ("qwen3next.embedding_length", V::U32(256)),
        ("qwen3next.feed_forward_length", V::U32(1024)),
        ("qwen3next.attention.head_count", V::U32(2)),
        ("qwen3next.attention.head_count_kv", V::U32(1)),
        ("qwen3next.attention.key_length", V::U32(128)),
        ("qwen3next.attention.value_length", V::U32(128)),
        ("qwen3next.full_attention_interval", V::U32(4)),
        ("qwen3next.ssm.conv_kernel", V::U32(4)),
        ("qwen3next.ssm.state_size", V::U32(64)),
        ("qwen3next.ssm.group_count", V::U32(2)),
        ("qwen3next.ssm.time_step_rank", V::U32(4)),
        ("qwen3next.ssm.inner_size", V::U32(256)),
        ("qwen3next.expert_count", V::U32(4)),
        ("qwen3next.expert_used_count", V::U32(2)),
        ("qwen3next.expert_feed_forward_length", V::U32(256)),
        ("qwen3next.expert_shared_feed_forward_length", V::U32(256)),
        ("qwen3next.vocab_size", V::U32(512)),
        ("general.file_type", V::U32(38)),
    ];
    if !with_tensors {
        return (kv, Vec::new());
    }
    let mut ts = vec![
        t("token_embd.weight", &[256, 512], Q8_0),
        t("output.weight", &[256, 512], Q8_0),
    ];
    for i in 0..4 {
        let n = |x: &str| format!("blk.{i}.{x}");
        if i == 3 {
            ts.extend([
                t(&n("attn_q.weight"), &[256, 512], Q8_0),
                t(&n("attn_k.weight"), &[256, 128], Q8_0),
                t(&n("attn_v.weight"), &[256, 128], Q8_0),
                t(&n("attn_output.weight"), &[256, 256], Q8_0),
                t(&n("attn_q_norm.weight"), &[128], F32),
            ]);
        } else {
            ts.extend([
                t(&n("attn_qkv.weight"), &[256, 512], Q8_0),
                t(&n("attn_gate.weight"), &[256, 256], Q8_0),
                t(&n("ssm_conv1d.weight"), &[4, 512], F32),
                t(&n("ssm_dt.bias"), &[4], F32),
                t(&n("ssm_a"), &[4], F32),
                t(&n("ssm_ba.weight"), &[256, 8], F32),
                t(&n("ssm_norm.weight"), &[64], F32),
                t(&n("ssm_out.weight"), &[256, 256], Q8_0),
            ]);
        }
        ts.extend([
            t(&n("ffn_gate_inp.weight"), &[256, 4], F32),
            t(&n("ffn_gate_up_exps.weight"), &[256, 512, 4], MXFP4),
            t(&n("ffn_down_exps.weight"), &[256, 256, 4], MXFP4),
            t(&n("ffn_gate_inp_shexp.weight"), &[256], F32),
            t(&n("ffn_gate_shexp.weight"), &[256, 256], Q8_0),
            t(&n("ffn_up_shexp.weight"), &[256, 256], Q8_0),
            t(&n("ffn_down_shexp.weight"), &[256, 256], Q8_0),
        ]);
    }
    (kv, ts)
}
