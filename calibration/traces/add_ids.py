#!/usr/bin/env python3
"""Copies four files of shared/calibration-data into calibration/traces/ with the optional id
columns (device_id, model_id, quant_id, backend_id, flash_attn) filled where the source's own
labels and notes say what they are; every other column is copied unchanged. The rules are
listed in calibration/traces/README.md. Run from the repository root:

    python3 calibration/traces/add_ids.py ../shared/calibration-data
"""
import csv
import re
import sys
from pathlib import Path

EXTRA = ["device_id", "model_id", "quant_id", "backend_id", "flash_attn", "harness"]

# kyuz0 GGUF file names (notes `gguf=`) -> (model id, quant id or '' to map the quant label)
KYUZ0_GGUF = [
    ("llama-2-7b.Q4_0", "llama-2-7b", ""),
    ("gpt-oss-20b-mxfp4", "gpt-oss-20b", ""),
    ("gpt-oss-120b-mxfp4", "gpt-oss-120b", ""),
    ("Qwen3-Coder-30B-A3B-Instruct-UD-Q8_K_XL", "qwen3-coder-30b-a3b", "ud-q8_k_xl"),
    ("Qwen3-Coder-30B-A3B-Instruct-Q4_K_M", "qwen3-coder-30b-a3b", "q4_k_m"),
    ("Qwen3-Coder-30B-A3B-Instruct-BF16", "qwen3-coder-30b-a3b", "bf16"),
    ("Qwen3-Next-80B-A3B-Instruct-UD-Q4_K_XL", "qwen3-next-80b-a3b", "ud-q4_k_xl"),
    ("gemma-3-12b-it-UD-Q8_K_XL", "gemma-3-12b", "ud-q8_k_xl"),
    ("gemma-3-4b-it-Q3_K_S", "gemma-3-4b", "q3_k_s"),
    ("gemma-3-27b-it-BF16", "gemma-3-27b", "bf16"),
    ("Nemotron-3-Nano-30B-A3B-UD-Q4_K_XL", "nemotron-3-nano-30b-a3b", "ud-q4_k_xl"),
    ("Nemotron-3-Nano-30B-A3B-UD-Q8_K_XL", "nemotron-3-nano-30b-a3b", "ud-q8_k_xl"),
    ("Ministral-3-8B-Instruct-2512-BF16", "ministral-3-8b", "bf16"),
    ("Ministral-3-14B-Instruct-2512-BF16", "ministral-3-14b", "bf16"),
]


def note(notes, key):
    m = re.search(r"(?:^|[;\s])" + re.escape(key) + r"=([^;\s]+)", notes)
    return m.group(1) if m else None


def rocm_variant(notes):
    """hipBLASLt (ROCBLAS_USE_HIPBLASLT) and rocWMMA as the notes state them."""
    blaslt, wmma = note(notes, "hipblaslt"), note(notes, "rocwmma")
    base = "llama.cpp-rocm" if blaslt != "0" else "llama.cpp-rocm-rocblas"
    return base + ("-rocwmma" if wmma == "1" else "")


def vulkan_variant(backend):
    return "llama.cpp-vulkan-amdvlk" if "amdvlk" in backend.lower() else "llama.cpp-vulkan"


def mmbt(r):
    d = r["device"]
    r["device_id"] = (
        "rtx-pro-6000-blackwell" if "RTX PRO 6000" in d
        else "dgx-spark" if "DGX Spark" in d
        else "apple-m5-max-128gb" if "M5 Max" in d
        else "strix-halo-128gb" if "Strix Halo" in d
        else ""
    )
    r["model_id"], r["quant_id"] = "qwen3.6-27b", "q8_0"
    r["harness"] = "llama-server"
    b = r["backend"]
    # llama-server's default `-fa auto` turns flash attention on for these backends.
    r["flash_attn"] = "1"
    if "ROCm" in b:
        # Lemonade's bundled ROCm build: hipBLASLt and rocWMMA not stated; the plain id.
        r["backend_id"] = "llama.cpp-rocm"


def kyuz0(r):
    # One device id for the `2x` rows too: the label's count makes them multi-device rows.
    if "AMD Radeon AI PRO R9700" in r["device"]:
        r["device_id"] = "radeon-ai-pro-r9700"
    gguf = note(r["notes"], "gguf") or ""
    for prefix, model, quant in KYUZ0_GGUF:
        if gguf.startswith(prefix):
            r["model_id"], r["quant_id"] = model, quant
            break
    b = r["backend"]
    r["backend_id"] = rocm_variant(r["notes"]) if "ROCm" in b else vulkan_variant(b)


def amd_issues(r):
    d = r["device"]
    if d.startswith("AMD Radeon AI PRO R9700"):
        r["device_id"] = "radeon-ai-pro-r9700"
    elif d.startswith("AMD Radeon RX 9070 XT"):
        r["device_id"] = "rx-9070-xt"
    if r["model"] in ("llama 8B",):
        # llama-bench prints every Llama 3.x 8B as 'llama 8B'; 3 and 3.1 share the shape.
        r["model_id"] = "llama-3.1-8b"
    elif r["model"].startswith("Llama-3.2-3B-Instruct"):
        r["model_id"] = "llama-3.2-3b"
    elif r["model"] == "llama 13B" and r["params_b"] == "13.02":
        # llama-bench prints any 40-layer llama-arch GGUF as 'llama 13B' (Mistral Small 3.1 24B
        # too); 13.02 B parameters is the LLaMA / Llama 2 13B shape.
        r["model_id"] = "llama-2-13b"
    if "Vulkan" in r["backend"]:
        r["backend_id"] = vulkan_variant(r["backend"])


def amd_docs(r):
    if "AMD Instinct MI300X" in r["device"]:
        r["device_id"] = "mi300x"
    elif r["device"].startswith("AMD gfx906 (MI50-class"):
        # The cards print as 'AMD Radeon Graphics'; the label's '2 devices visible' makes the
        # rows multi-device rows.
        r["device_id"] = "mi50-32gb"
    if (note(r["notes"], "gguf") or "").startswith("DeepSeek-V3-"):
        # llama-bench prints V3 and R1 alike as 'deepseek2 671B'; the GGUF name says which.
        r["model_id"] = "deepseek-v3"


RULES = {
    "mmbt_qwen36_27b_q8_fleet.csv": mmbt,
    "kyuz0_r9700_llama_bench.csv": kyuz0,
    "llamacpp_issues_amd_prefill.csv": amd_issues,
    "amd_repos_docs_llama_bench.csv": amd_docs,
}


def main(src):
    for name, rule in RULES.items():
        with open(Path(src) / name, newline="") as f:
            rows = list(csv.DictReader(f))
        cols = list(rows[0].keys()) + [c for c in EXTRA if c not in rows[0]]
        for r in rows:
            for c in EXTRA:
                r.setdefault(c, "")
            rule(r)
        with open(Path("calibration/traces") / name, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/calibration-data")
