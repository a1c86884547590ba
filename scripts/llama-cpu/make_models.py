#!/usr/bin/env python3
"""Writes random-weight, llama-shaped F16 GGUF files for llama-bench.

The weights are random (normal, sigma 0.02; norms 1.0): llama-bench measures speed,
which depends on the shapes and tensor types only. The tokenizer is the smallest one
llama.cpp loads as a llama (SentencePiece) vocabulary: <unk>, <s>, </s>, the 256 byte
tokens <0x00>..<0xFF> and filler tokens up to the vocabulary size. llama-bench never
tokenizes text (it feeds random token ids), but the GGUF must load.

Usage: make_models.py OUT_DIR [NAME ...]   (default: every shape in SHAPES)
A file that already exists is kept (the script is idempotent).
Needs the PyPI packages gguf (0.19.0) and numpy.
"""

import sys
import time
from pathlib import Path

import gguf
import numpy as np

# name -> shape. The check shapes (rand-0.2b, rand-0.4b) differ from every shipped CPU
# calibration row: two head sizes (64 and 128), GQA 4 and 3. The calibration shapes
# (cal-0.1b: narrow and deep; cal-0.7b: wide, GQA 2) measure the CPU kernels for
# calibration/traces/llama_cpu_epyc_zen4_2vcpu.csv and share no shape with the check.
SHAPES = {
    "rand-0.2b": dict(hidden=1024, layers=12, heads=16, kv_heads=4, ffn=2816, vocab=32000),
    "rand-0.4b": dict(hidden=1536, layers=12, heads=12, kv_heads=4, ffn=4096, vocab=32000),
    "cal-0.1b": dict(hidden=512, layers=20, heads=8, kv_heads=2, ffn=1408, vocab=32000),
    "cal-0.7b": dict(hidden=2048, layers=12, heads=16, kv_heads=8, ffn=5632, vocab=32000),
}
CONTEXT = 8192  # trained context the header claims; the bench needs up to depth + prompt


def vocab(n):
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256
    tokens += [f"t{i}" for i in range(n - len(tokens))]
    types += [gguf.TokenType.NORMAL] * (n - len(types))
    scores = [0.0] * 3 + [0.0] * 256 + [-float(i) for i in range(n - 259)]
    return tokens, scores, [int(t) for t in types]


def n_params(s):
    h, f, hd = s["hidden"], s["ffn"], s["hidden"] // s["heads"]
    kv = s["kv_heads"] * hd
    layer = h * h * 2 + h * kv * 2 + 3 * h * f + 2 * h
    return s["layers"] * layer + 2 * s["vocab"] * h + h


def write(path, name, s, rng):
    h, hd = s["hidden"], s["hidden"] // s["heads"]
    kv = s["kv_heads"] * hd
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(name)
    w.add_context_length(CONTEXT)
    w.add_embedding_length(h)
    w.add_block_count(s["layers"])
    w.add_feed_forward_length(s["ffn"])
    w.add_head_count(s["heads"])
    w.add_head_count_kv(s["kv_heads"])
    w.add_rope_dimension_count(hd)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(s["vocab"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    tokens, scores, types = vocab(s["vocab"])
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    def mat(rows, cols):  # numpy (rows, cols) = ggml ne (cols, rows): out x in
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16)

    def ones(n):
        return np.ones(n, dtype=np.float32)

    w.add_tensor("token_embd.weight", mat(s["vocab"], h))
    for i in range(s["layers"]):
        b = f"blk.{i}."
        w.add_tensor(b + "attn_norm.weight", ones(h))
        w.add_tensor(b + "attn_q.weight", mat(h, h))
        w.add_tensor(b + "attn_k.weight", mat(kv, h))
        w.add_tensor(b + "attn_v.weight", mat(kv, h))
        w.add_tensor(b + "attn_output.weight", mat(h, h))
        w.add_tensor(b + "ffn_norm.weight", ones(h))
        w.add_tensor(b + "ffn_gate.weight", mat(s["ffn"], h))
        w.add_tensor(b + "ffn_up.weight", mat(s["ffn"], h))
        w.add_tensor(b + "ffn_down.weight", mat(h, s["ffn"]))
    w.add_tensor("output_norm.weight", ones(h))
    w.add_tensor("output.weight", mat(s["vocab"], h))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    names = sys.argv[2:] or list(SHAPES)
    for name in names:
        s = SHAPES[name]
        path = out / f"{name}-f16.gguf"
        if path.exists():
            print(f"{path}: kept")
            continue
        t = time.time()
        tmp = path.with_suffix(".gguf.tmp")
        # A fixed seed per shape: the same bytes on every run.
        write(tmp, name, s, np.random.default_rng(sum(map(ord, name))))
        tmp.rename(path)
        print(f"{path}: {n_params(s) / 1e6:.1f}M parameters, {time.time() - t:.1f} s")


if __name__ == "__main__":
    main()
