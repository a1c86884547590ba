//! What runs where: the backends a device can run (CUDA on NVIDIA GPUs, Metal and MLX on
//! Apple silicon, ROCm and Vulkan through AMD's AMDVLK driver on AMD GPUs; Vulkan through
//! the system driver, the CPU build and vLLM are not restricted here)
//! and the weight formats a backend loads (llama.cpp: GGUF; MLX: MLX weights and float
//! checkpoints; vLLM: safetensors, AWQ, GPTQ and float checkpoints). Sources: the backend
//! lists of llama.cpp (`docs/build.md`), MLX (runs on Apple silicon only,
//! <https://ml-explore.github.io/mlx/>) and vLLM's supported quantization formats
//! (<https://docs.vllm.ai/en/latest/features/quantization/>).

use crate::db::calibration::BackendRaw;
use crate::db::hardware::{Device, DeviceKind};
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::error::{Error, Result};

/// The runtime family of a backend id.
fn family(backend: &str) -> &str {
    if backend == "mlx" {
        "mlx"
    } else if backend == "vllm" {
        "vllm"
    } else if backend.starts_with("llama.cpp-cuda") {
        "cuda"
    } else if backend.starts_with("llama.cpp-metal") {
        "metal"
    } else if backend.starts_with("llama.cpp-rocm") {
        "rocm"
    } else if backend == "llama.cpp-vulkan-amdvlk" {
        // AMDVLK is AMD's Vulkan driver: it drives AMD GPUs only.
        "amdvlk"
    } else {
        "other"
    }
}

/// Whether `device` can run `backend`.
pub fn runs_on(backend: &BackendRaw, device: &Device) -> bool {
    let gpu = device.raw.kind != DeviceKind::Cpu;
    match family(&backend.id) {
        "cuda" => gpu && device.raw.vendor == "nvidia",
        "metal" | "mlx" => device.raw.vendor == "apple",
        "rocm" | "amdvlk" => gpu && device.raw.vendor == "amd",
        _ => true,
    }
}

/// Refuses a backend the device cannot run, naming those it can.
pub fn check_backend(db: &Db, backend: &BackendRaw, device: &Device) -> Result<()> {
    if runs_on(backend, device) {
        return Ok(());
    }
    let can: Vec<&str> = db
        .backends
        .iter()
        .filter(|b| runs_on(b, device))
        .map(|b| b.id.as_str())
        .collect();
    Err(Error::Input(format!(
        "'{}' cannot run {}; it runs {}",
        device.raw.id,
        backend.id,
        can.join(", ")
    )))
}

/// Float checkpoints every runtime loads (GGUF F16/BF16/F32 or safetensors).
fn is_float_checkpoint(q: &QuantRaw) -> bool {
    matches!(q.id.as_str(), "f16" | "bf16" | "f32")
}

/// Whether `backend` loads weights quantized with `quant`.
pub fn loads(backend: &BackendRaw, quant: &QuantRaw) -> bool {
    let f = quant.format.as_str();
    match family(&backend.id) {
        "mlx" => f == "mlx" || is_float_checkpoint(quant),
        "vllm" => matches!(f, "safetensors" | "awq" | "gptq") || is_float_checkpoint(quant),
        _ => f == "gguf",
    }
}

/// What a backend loads, in words.
fn loadable(backend: &BackendRaw) -> &'static str {
    match family(&backend.id) {
        "mlx" => "MLX weights (mlx-4bit, mlx-6bit, mlx-8bit) and f16/bf16 checkpoints",
        "vllm" => "safetensors (fp8, nvfp4, f16, bf16), AWQ and GPTQ weights",
        _ => "GGUF weights (q4_k_m, q8_0, f16 …)",
    }
}

/// Refuses a quantization the backend cannot load, saying what it loads.
pub fn check_quant(backend: &BackendRaw, quant: &QuantRaw) -> Result<()> {
    if loads(backend, quant) {
        return Ok(());
    }
    Err(Error::Input(format!(
        "{} cannot load {} weights ({}); it loads {}",
        backend.id,
        quant.id,
        quant.format,
        loadable(backend)
    )))
}

/// The backend a scenario on `device` runs: `--backend` if given, else the device's default.
pub fn backend_for<'a>(db: &'a Db, device: &Device, given: Option<&str>) -> Result<&'a BackendRaw> {
    match given {
        Some(b) => db.backend(b),
        None => db.default_backend(device),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amdvlk_and_rocm_run_on_amd_gpus_only() {
        let db = Db::builtin().expect("shipped databases");
        let backend = |id: &str| db.backends.iter().find(|b| b.id == id).expect("backend");
        let device = |id: &str| db.device(id).expect("device");
        for b in ["llama.cpp-vulkan-amdvlk", "llama.cpp-rocm"] {
            assert!(runs_on(backend(b), device("rx-7900-xtx")), "{b}");
            for d in [
                "apple-m4-max",
                "rtx-4090",
                "intel-arc-b580",
                "cpu-desktop-ddr5-6000-2ch",
            ] {
                assert!(!runs_on(backend(b), device(d)), "{b} on {d}");
            }
        }
        // Vulkan through the system driver runs on any GPU.
        assert!(runs_on(
            backend("llama.cpp-vulkan"),
            device("intel-arc-b580")
        ));
        let err = check_backend(&db, backend("llama.cpp-cuda"), device("apple-m4-max"))
            .expect_err("CUDA on Apple is refused")
            .to_string();
        assert!(!err.contains("amdvlk"), "{err}");
    }
}
