//! Kernel rules bounded by the llama.cpp build a row was measured with: the build number is
//! read from llama-bench's `build_number` and from `<hash> (NNNN)` in a trace's notes, and the
//! Vulkan rule that older builds ran every routed expert for a micro-batch of two tokens or
//! more applies to those rows only, never to a prediction; so does the rule that Vulkan builds
//! up to b6118 ran matmuls slower (`superseded_builds`). Vulkan's batched matmuls compute
//! whole token tiles on AMD GPUs with cooperative matrices. HIP on RDNA 3 dequantizes for
//! BLAS from 64 tokens; below that its fused kernels run routed experts one at a time and
//! read them once more; batched expert kernels pay a cost per distinct expert.

mod common;

use approx::assert_relative_eq;
use common::at_ctx;
use tokenfit::calib::features::{features, scenario, UNIT};
use tokenfit::calib::map::map_row;
use tokenfit::calib::read::read_trace_str;
use tokenfit::calib::trace::{Test, TraceRow};
use tokenfit::db::Db;
use tokenfit::scenario::{resolve, Options};

fn db() -> Db {
    Db::builtin().unwrap()
}

/// A prompt row of `n` tokens: `[device, backend, model, quant]`.
fn prompt_row([device, backend, model, quant]: [&str; 4], n: u64) -> TraceRow {
    let mut r = TraceRow::new("t.csv", 2, Test::Pp, 100.0);
    r.device_id = Some(device.into());
    r.backend_id = Some(backend.into());
    r.model_id = Some(model.into());
    r.quant_id = Some(quant.into());
    r.n_prompt = n;
    r
}

/// A Strix Halo Vulkan prompt row of Qwen3-30B-A3B with `n` tokens, measured with `build`.
fn vulkan_moe_row(n: u64, build: Option<u32>) -> TraceRow {
    let mut r = prompt_row(
        [
            "strix-halo-128gb",
            "llama.cpp-vulkan",
            "qwen3-30b-a3b",
            "q4_k_m",
        ],
        n,
    );
    r.build = build;
    r
}

#[test]
fn the_build_number_is_read_from_notes_and_from_llama_bench() {
    let csv = "device,backend,model,quant,test,n_prompt,n_gen,n_depth,tok_s,notes\n\
               d,Vulkan,m,Q4_0,pp,2,0,0,24.4,\"llama.cpp 01612b74 (5922); flash_attn=False\"\n\
               d,Vulkan,m,Q4_0,pp,2,0,0,24.4,\"Qwen3 (30B) at 8 (512) tokens\"\n";
    let t = read_trace_str("n.csv", csv).unwrap();
    assert_eq!(t.rows[0].build, Some(5922));
    assert_eq!(
        t.rows[1].build, None,
        "a parenthesised number after a word is no build"
    );
    let bench = "build_commit,build_number,cpu_info,gpu_info,backends,model_type,model_size,\
                 model_n_params,n_batch,n_ubatch,n_threads,type_k,type_v,n_gpu_layers,flash_attn,\
                 n_prompt,n_gen,n_depth,test_time,avg_ns,stddev_ns,avg_ts,stddev_ts\n\
                 0c1e570,7423,cpu,Radeon 8060S Graphics,Vulkan,llama 7B Q4_0,3825065984,\
                 6738415616,2048,512,16,f16,f16,99,0,512,0,0,2026-01-01T00:00:00Z,1,0,900.0,1.0\n";
    let t = read_trace_str("b.csv", bench).unwrap();
    assert_eq!(t.rows[0].build, Some(7423));
}

#[test]
fn older_vulkan_builds_read_every_expert_from_two_tokens() {
    let db = db();
    let x_mem = |n: u64, build: Option<u32>| {
        let m = map_row(&db, &vulkan_moe_row(n, build)).unwrap();
        features(&db, &m).unwrap().x_mem
    };
    let (old, new) = (Some(5922), Some(7423));
    // One token runs the matrix-vector kernel over its own experts on every build.
    assert_eq!(x_mem(1, old), x_mem(1, new));
    // Two tokens: the old build reads the whole model, the new one the experts they touch
    // (15.5 of 128 per layer): several times less.
    assert!(
        x_mem(2, old) > 4.0 * x_mem(2, new),
        "{} {}",
        x_mem(2, old),
        x_mem(2, new)
    );
    // A row that does not say its build is taken as a current one.
    assert_eq!(x_mem(2, None), x_mem(2, new));
    let m = map_row(&db, &vulkan_moe_row(2, old)).unwrap();
    assert_eq!(
        scenario(&db, &m, UNIT).unwrap().expert_gemm_all_min_tokens,
        Some(2)
    );
    // ROCm ran its own expert kernels: no rule, whatever the build.
    let mut rocm = vulkan_moe_row(2, old);
    rocm.backend_id = Some("llama.cpp-rocm".into());
    let m = map_row(&db, &rocm).unwrap();
    assert_eq!(
        scenario(&db, &m, UNIT).unwrap().expert_gemm_all_min_tokens,
        None
    );
    // Predictions are for current builds.
    let o = Options {
        backend: Some("llama.cpp-vulkan-amdvlk".into()),
        ..Options::default()
    };
    let s = resolve(&db, "strix-halo-128gb", "qwen3-30b-a3b", "q4_k_m", &o)
        .unwrap()
        .scenario;
    assert_eq!(s.expert_gemm_all_min_tokens, None);
}

#[test]
fn superseded_vulkan_builds_take_longer_prompt_matmuls_for_their_rows_only() {
    use tokenfit::model::placement::{footprint, place};
    use tokenfit::model::prefill::prefill_time;
    let db = db();
    let sc = |row: &TraceRow| {
        let m = map_row(&db, row).unwrap();
        let mut s = scenario(&db, &m, UNIT).unwrap();
        s.eff.superseded_compute = 0.8;
        s
    };
    let matmul = |s: &tokenfit::model::Scenario| {
        let f = footprint(s, s.ctx as f64);
        prefill_time(s, &f, &place(s, &f), 512.0, 0.0).t_compute.0
    };
    let (old, new) = (
        sc(&vulkan_moe_row(512, Some(6077))),
        sc(&vulkan_moe_row(512, Some(8038))),
    );
    assert!(old.superseded && !new.superseded);
    assert_ratio(matmul(&old), matmul(&new), 1.8, "b6077 against b8038");
    // A row that does not say its build is taken as a current one; ROCm has no such rule.
    assert!(!sc(&vulkan_moe_row(512, None)).superseded);
    let mut rocm = vulkan_moe_row(512, Some(6077));
    rocm.backend_id = Some("llama.cpp-rocm".into());
    assert!(!sc(&rocm).superseded);
    // AMDVLK, a variant of the Vulkan backend, takes the rule with the others.
    let mut amdvlk = vulkan_moe_row(512, Some(6077));
    amdvlk.backend_id = Some("llama.cpp-vulkan-amdvlk".into());
    assert!(sc(&amdvlk).superseded);
    // Predictions are for current builds.
    let s = resolve(
        &db,
        "strix-halo-128gb",
        "qwen3-30b-a3b",
        "q4_k_m",
        &Options::default(),
    )
    .unwrap()
    .scenario;
    assert!(!s.superseded);
}

/// `a / b` is `r`, to rounding.
fn assert_ratio(a: f64, b: f64, r: f64, what: &str) {
    assert!((a / b - r).abs() < 1e-12, "{what}: {a} / {b} is not {r}");
}

#[test]
fn vulkan_computes_whole_token_tiles_past_the_matrix_vector_kernel() {
    let db = db();
    // The compute regressor of a dense Llama 2 7B Q4_0 prompt of `n` tokens.
    let x_comp = |device: &str, backend: &str, n: u64| {
        let r = prompt_row([device, backend, "llama-2-7b", "q4_0"], n);
        let m = map_row(&db, &r).unwrap();
        features(&db, &m).unwrap().x_comp
    };
    for backend in ["llama.cpp-vulkan", "llama.cpp-vulkan-amdvlk"] {
        let at = |n| x_comp("strix-halo-128gb", backend, n);
        // 16 tokens run in one 32-token tile: the compute of 32.
        assert_ratio(at(16), at(32), 1.0, backend);
        // 8 tokens run the matrix-vector kernel: a quarter of 32's.
        assert_ratio(at(8), at(32), 0.25, backend);
        // 40 tokens take the 64-token tile, 200 two 128-token tiles.
        assert_ratio(at(40), at(64), 1.0, backend);
        assert_ratio(at(200), at(256), 1.0, backend);
        // 512 fills its tiles.
        assert_ratio(at(512), at(256), 2.0, backend);
        // Longer prompts run as 512-token micro-batches and the rest: 520 as 512 and 8 (the
        // matrix-vector kernel: no tile), 600 as 512 and 88 (one 128-token tile).
        assert_ratio(at(520), at(512), 520.0 / 512.0, backend);
        assert_ratio(at(600), at(512), 640.0 / 512.0, backend);
    }
    // Not on ROCm, not on AMD GPUs without cooperative matrices (the RX 580), not on NVIDIA
    // GPUs under Vulkan: their tiles differ.
    for (device, backend) in [
        ("strix-halo-128gb", "llama.cpp-rocm"),
        ("rx-580", "llama.cpp-vulkan"),
        ("rtx-4090", "llama.cpp-vulkan"),
    ] {
        let at = |n| x_comp(device, backend, n);
        assert_ratio(at(16), at(32), 0.5, device);
    }
}

/// The scenario of `model` in `quant` on `dev` with llama.cpp's plain ROCm build, at 4K.
fn on_rocm<'a>(db: &'a Db, dev: &str, model: &str, quant: &str) -> tokenfit::model::Scenario<'a> {
    let o = Options {
        backend: Some("llama.cpp-rocm".into()),
        ..at_ctx(4096)
    };
    resolve(db, dev, model, quant, &o).unwrap().scenario
}

#[test]
fn rdna3_rocm_dequantizes_quantized_matmuls_of_64_tokens_and_more() {
    use tokenfit::model::placement::{footprint, place};
    use tokenfit::model::prefill::prefill_time;
    let db = db();
    let rocm = |dev: &str, quant: &str| on_rocm(&db, dev, "llama-2-7b", quant);
    // llama.cpp's ggml_cuda_should_use_mmq on RDNA3: MMQ below 64 tokens, hipBLAS from 64.
    let s = rocm("rx-7900-xtx", "q4_0");
    assert!(!s.dequant_gemm(32.0));
    assert!(s.dequant_gemm(64.0));
    // A backend variant (rocBLAS without hipBLASLt) runs its parent's kernel selection.
    let variant = resolve(
        &db,
        "strix-halo-128gb",
        "llama-2-7b",
        "q4_0",
        &Options {
            backend: Some("llama.cpp-rocm-rocblas".into()),
            ..at_ctx(4096)
        },
    )
    .unwrap()
    .scenario;
    assert!(variant.dequant_gemm(64.0) && !variant.dequant_gemm(32.0));
    // RDNA 4, CDNA and float weights keep their own kernels; so does CUDA.
    assert!(!rocm("rx-9070-xt", "q4_0").dequant_gemm(512.0));
    assert!(!rocm("mi300x", "q4_0").dequant_gemm(512.0));
    assert!(!rocm("rx-7900-xtx", "f16").dequant_gemm(512.0));
    let cuda = resolve(&db, "rtx-4090", "llama-2-7b", "q4_0", &at_ctx(4096))
        .unwrap()
        .scenario;
    assert!(!cuda.dequant_gemm(512.0));
    // A 64-token micro-batch reads the quantized weights once and writes and reads an FP16
    // copy of the dense layers (4 bytes per parameter), and runs on the float GEMM.
    let f = footprint(&s, 4096.0);
    let pl = place(&s, &f);
    let p32 = prefill_time(&s, &f, &pl, 32.0, 0.0);
    let p64 = prefill_time(&s, &f, &pl, 64.0, 0.0);
    let bw = s.device.fast.bandwidth.0 * s.eff.bandwidth_frac;
    let copy = 4.0 * s.params.non_embedding_dense() / bw;
    assert_relative_eq!((p64.t_memory - p32.t_memory).0, copy, max_relative = 1e-9);
    let dense = s.params.active_matmul() - s.params.experts_active;
    let peak = s.device.sustained_peak.0;
    assert_relative_eq!(
        p64.t_compute.0,
        2.0 * dense * 64.0 / (peak * s.eff.float_compute_frac),
        max_relative = 1e-9
    );
    assert_relative_eq!(
        p32.t_compute.0,
        2.0 * dense * 32.0 / (peak * s.eff.compute_frac),
        max_relative = 1e-9
    );
}

#[test]
fn each_distinct_expert_of_a_micro_batch_pays_the_per_expert_cost() {
    let db = db();
    let s = resolve(&db, "rtx-4090", "qwen3-30b-a3b", "q4_k_m", &at_ctx(4096))
        .unwrap()
        .scenario;
    // Qwen3-30B-A3B: 48 MoE layers, 8 of 128 experts per token.
    assert_relative_eq!(s.expert_calls(), 48.0 * 8.0);
    assert_relative_eq!(
        s.expert_calls_by(1.0),
        s.expert_calls(),
        max_relative = 1e-12
    );
    // Two tokens touch 128 · (1 − (15/16)²) = 15.5 experts per layer.
    assert_relative_eq!(
        s.expert_calls_by(2.0),
        48.0 * 128.0 * (1.0 - (15.0_f64 / 16.0).powi(2)),
        max_relative = 1e-12
    );
    // 512 tokens touch all but a trace of them.
    assert!(s.expert_calls_by(512.0) > 0.999 * 48.0 * 128.0);
}

#[test]
fn fused_per_expert_kernels_read_the_touched_experts_from_two_tokens_below_the_dequant_switch() {
    use tokenfit::model::decode::decode_step;
    use tokenfit::model::placement::{footprint, place, Placement};
    let db = db();
    let rocm = |dev: &str, model: &str, quant: &str| on_rocm(&db, dev, model, quant);
    let placed = |s: &tokenfit::model::Scenario| place(s, &footprint(s, 4096.0));
    let s = rocm("strix-halo-128gb", "qwen3-30b-a3b", "q4_k_m");
    let pl = placed(&s);
    assert_eq!(pl.gpu_expert_share(), 1.0);
    // One token runs the matrix-vector kernel; from 64 tokens the experts are dequantized.
    assert_eq!(s.expert_mmq_read_s(&pl, 1.0), 0.0);
    assert_eq!(s.expert_mmq_read_s(&pl, 64.0), 0.0);
    // In between: the weights of the experts the tokens touch, at peak bandwidth.
    let at =
        |u: f64| (s.weights.experts.0 * s.experts_touched_frac_by(u)) / s.device.fast.bandwidth.0;
    for u in [2.0, 8.0, 63.0] {
        assert_relative_eq!(s.expert_mmq_read_s(&pl, u), at(u), max_relative = 1e-12);
    }
    assert!(s.expert_mmq_read_s(&pl, 32.0) > s.expert_mmq_read_s(&pl, 8.0));
    // Experts kept on the host (--n-cpu-moe) do not run the GPU's kernels.
    let half = Placement {
        host_expert_frac: 0.5,
        ..pl
    };
    assert_relative_eq!(
        s.expert_mmq_read_s(&half, 8.0),
        0.5 * at(8.0),
        max_relative = 1e-12
    );
    // A decode batch of 8 streams runs the same kernels and pays the same read.
    let mut b8 = s;
    b8.batch = 8;
    b8.eff.prefill_expert_read = 1.0;
    let pl8 = placed(&b8);
    let with = decode_step(&b8, &footprint(&b8, 4096.0), &pl8, 512.0).t_fast_memory;
    b8.eff.prefill_expert_read = 0.0;
    let without = decode_step(&b8, &footprint(&b8, 4096.0), &pl8, 512.0).t_fast_memory;
    assert_relative_eq!((with - without).0, at(8.0), max_relative = 1e-12);
    // Dense models, RDNA 4 (no dequant switch), CUDA: never.
    let dense = rocm("strix-halo-128gb", "llama-2-7b", "q4_0");
    assert_eq!(dense.expert_mmq_read_s(&placed(&dense), 8.0), 0.0);
    let rdna4 = rocm("radeon-ai-pro-r9700", "qwen3-30b-a3b", "q4_k_m");
    assert_eq!(rdna4.expert_mmq_read_s(&placed(&rdna4), 8.0), 0.0);
    let cuda = resolve(&db, "rtx-4090", "qwen3-30b-a3b", "q4_k_m", &at_ctx(4096))
        .unwrap()
        .scenario;
    assert_eq!(cuda.expert_mmq_read_s(&placed(&cuda), 8.0), 0.0);
}
