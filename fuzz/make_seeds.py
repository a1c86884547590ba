#!/usr/bin/env python3
"""Seed corpus for the gguf_header fuzz target: six tiny valid GGUF files (llama, qwen3moe,
gemma3, qwen3next, deepseek2, nemotron_h shapes, f32 tensors, data included) written to
fuzz/corpus/gguf_header/ (not committed). Run: python3 fuzz/make_seeds.py"""
import struct, os
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "gguf_header")
os.makedirs(out, exist_ok=True)
def s(x): b=x.encode(); return struct.pack("<Q", len(b)) + b
def val(v):
    t, x = v
    if t == "u32": return struct.pack("<I", 4) + struct.pack("<I", x)
    if t == "str": return struct.pack("<I", 8) + s(x)
    if t == "bool": return struct.pack("<I", 7) + bytes([x])
    if t == "au32": return struct.pack("<IIQ", 9, 4, len(x)) + b"".join(struct.pack("<I", i) for i in x)
    if t == "abool": return struct.pack("<IIQ", 9, 7, len(x)) + bytes(x)
    if t == "astr": return struct.pack("<IIQ", 9, 8, len(x)) + b"".join(s(i) for i in x)
    raise Exception(t)
def gguf(kv, tensors, align=32):
    b = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for k, v in kv: b += s(k) + val(v)
    off = 0
    for name, dims, ty, size in tensors:
        b += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ty, off)
        off = (off + size + align - 1) // align * align
    pad = (-len(b)) % align
    return b + b"\0" * (pad + off)
def f32(name, dims):
    n = 1
    for d in dims: n *= d
    return (name, dims, 0, 4 * n)
H, V, F = 8, 8, 8
def base(arch, n, extra):
    return [("general.architecture", ("str", arch)), (f"{arch}.block_count", ("u32", n)),
            (f"{arch}.context_length", ("u32", 4096)), (f"{arch}.embedding_length", ("u32", H)),
            (f"{arch}.feed_forward_length", ("u32", F)), (f"{arch}.attention.head_count", ("u32", 4)),
            (f"{arch}.attention.head_count_kv", ("u32", 2)), ("tokenizer.ggml.tokens", ("astr", ["a", "b", "c"])),
            (f"{arch}.vocab_size", ("u32", V))] + extra
def attn(i): return [f32(f"blk.{i}.attn_q.weight", [H, H]), f32(f"blk.{i}.attn_k.weight", [H, 4]), f32(f"blk.{i}.attn_v.weight", [H, 4]), f32(f"blk.{i}.attn_output.weight", [H, H])]
def dense(i): return [f32(f"blk.{i}.ffn_gate.weight", [H, F]), f32(f"blk.{i}.ffn_up.weight", [H, F]), f32(f"blk.{i}.ffn_down.weight", [F, H])]
def moe(i): return [f32(f"blk.{i}.ffn_gate_inp.weight", [H, 4]), f32(f"blk.{i}.ffn_gate_exps.weight", [H, 4, 4]), f32(f"blk.{i}.ffn_up_exps.weight", [H, 4, 4]), f32(f"blk.{i}.ffn_down_exps.weight", [4, H, 4]), f32(f"blk.{i}.ffn_up_shexp.weight", [H, 4])]
top = [f32("token_embd.weight", [H, V]), f32("output.weight", [H, V])]
seeds = {
 "llama": gguf(base("llama", 2, [("general.file_type", ("u32", 0))]), top + attn(0) + dense(0) + attn(1) + dense(1)),
 "moe": gguf(base("qwen3moe", 2, [("qwen3moe.expert_count", ("u32", 4)), ("qwen3moe.expert_used_count", ("u32", 2)), ("qwen3moe.expert_shared_count", ("u32", 1))]), top[:1] + attn(0) + moe(0) + attn(1) + moe(1)),
 "gemma": gguf(base("gemma3", 3, [("gemma3.attention.sliding_window", ("u32", 512)), ("gemma3.attention.sliding_window_pattern", ("abool", [1, 0, 1]))]), top + attn(0) + dense(0)),
 "next": gguf(base("qwen3next", 4, [("qwen3next.full_attention_interval", ("u32", 4)), ("qwen3next.ssm.conv_kernel", ("u32", 4)), ("qwen3next.ssm.state_size", ("u32", 8)), ("qwen3next.ssm.group_count", ("u32", 2)), ("qwen3next.ssm.time_step_rank", ("u32", 4)), ("qwen3next.ssm.inner_size", ("u32", 32)), ("qwen3next.expert_count", ("u32", 4)), ("qwen3next.expert_used_count", ("u32", 2))]), top + [f32("blk.0.ssm_conv1d.weight", [4, 8]), f32("blk.0.attn_qkv.weight", [H, 8])] + moe(0) + attn(3) + moe(3)),
 "mla": gguf(base("deepseek2", 2, [("deepseek2.leading_dense_block_count", ("u32", 1)), ("deepseek2.attention.kv_lora_rank", ("u32", 16)), ("deepseek2.attention.q_lora_rank", ("u32", 16)), ("deepseek2.rope.dimension_count", ("u32", 8)), ("deepseek2.attention.key_length", ("u32", 24)), ("deepseek2.attention.value_length", ("u32", 16)), ("deepseek2.expert_count", ("u32", 4)), ("deepseek2.expert_used_count", ("u32", 2)), ("deepseek2.nextn_predict_layers", ("u32", 0))]), top + [f32("blk.0.attn_kv_a_mqa.weight", [H, 8])] + dense(0) + [f32("blk.1.attn_kv_a_mqa.weight", [H, 8])] + moe(1)),
 "mamba": gguf(base("nemotron_h", 3, [("nemotron_h.attention.head_count_kv", ("au32", [0, 2, 0])), ("nemotron_h.feed_forward_length", ("au32", [0, 0, 64])), ("nemotron_h.ssm.conv_kernel", ("u32", 4)), ("nemotron_h.ssm.state_size", ("u32", 8)), ("nemotron_h.ssm.group_count", ("u32", 1)), ("nemotron_h.ssm.time_step_rank", ("u32", 4)), ("nemotron_h.ssm.inner_size", ("u32", 32))]), top + [f32("blk.0.ssm_in.weight", [H, 8]), f32("blk.0.ssm_d", [4])] + attn(1) + [f32("blk.2.ffn_up.weight", [H, F]), f32("blk.2.ffn_down.weight", [F, H])]),
}
for k, b in seeds.items():
    open(os.path.join(out, k + ".gguf"), "wb").write(b)
    print(k, len(b))
