//! The command that measures a prediction: every `predict`, `fit` and `cliff` result names
//! the llama-bench invocation (or the vLLM / MLX benchmark) whose output, fed to
//! `tokenfit validate`, gives the error of that very prediction.
//!
//! llama-bench: `-m <file> -p <prompt> -n <gen> -d <depth> -ngl <layers> -fa <0|1>
//! -ctk <kv> -ctv <kv> -ub <ubatch> -t <threads> -o jsonl`, plus `--n-cpu-moe N` when
//! routed experts of N layers sit on the host.

use crate::db::model::FfnKind;
use crate::model::placement::Placement;
use crate::model::Scenario;

/// The file name a GGUF of this model and quant usually has (`<repo name>-<QUANT>.gguf`).
pub fn gguf_name(s: &Scenario) -> String {
    let repo = s
        .model
        .hf_repo
        .as_deref()
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or(&s.model.id);
    format!("{repo}-{}.gguf", s.quant.name.to_uppercase())
}

/// The benchmark command for a scenario on a backend.
pub fn verify_command(s: &Scenario, pl: &Placement, backend: &str) -> String {
    let repo = s
        .model
        .hf_repo
        .clone()
        .unwrap_or_else(|| s.model.id.clone());
    match backend {
        "vllm" => format!(
            "vllm bench latency --model {repo} --input-len {} --output-len {} --batch-size 1 --max-model-len {}",
            s.prompt.max(1),
            s.gen.max(1),
            s.ctx.max(s.prompt + s.gen)
        ),
        "mlx" => format!("mlx_lm.benchmark --model {repo} -p {} -g {} -b 1", s.prompt.max(1), s.gen.max(1)),
        _ => llama_bench(s, pl),
    }
}

fn llama_bench(s: &Scenario, pl: &Placement) -> String {
    let kv = s.kv_type_id;
    let mut c = format!(
        "llama-bench -m models/{} -p {} -n {} -d {} -ngl {} -fa {} -ctk {kv} -ctv {kv} -ub {} -t $(nproc) -o jsonl",
        gguf_name(s),
        s.prompt,
        s.gen,
        s.depth,
        if pl.gpu_layers >= pl.n_layers { 99 } else { pl.gpu_layers },
        u8::from(s.flash_attn),
        s.ubatch,
    );
    if pl.host_expert_frac > 0.0 {
        let moe_layers = f64::from(s.model.count_ffn(FfnKind::Moe));
        let n = (pl.host_expert_frac * moe_layers).round() as u32;
        c.push_str(&format!(" --n-cpu-moe {n}"));
    }
    c
}
