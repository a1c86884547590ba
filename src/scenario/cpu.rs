//! The CPU run of a scenario (threads and kernel rates, see [`crate::model::cpu`]) resolved
//! from the databases: the device's `cpu` block and the backend's entry of
//! `calibration/cpu.yaml`.

use crate::db::cpu::CpuKernels;
use crate::db::hardware::{Device, DeviceKind};
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::model::cpu::CpuRun;

/// The CPU run of a scenario on `device` with `backend`: a CPU device with a `cpu` block and
/// kernels for the backend; `None` otherwise (the generic roofline predicts it).
pub fn cpu_run<'a>(
    db: &'a Db,
    device: &'a Device,
    backend: &str,
    quant: &QuantRaw,
    threads: Option<u32>,
) -> Option<CpuRun<'a>> {
    let cpu = device
        .raw
        .cpu
        .as_ref()
        .filter(|_| device.raw.kind == DeviceKind::Cpu)?;
    let kernels = crate::db::cpu::kernels_for(&db.cpu_kernels, backend, cpu)?;
    let class_of = |q: &str| {
        db.quants
            .iter()
            .find(|x| x.id == q)
            .map(|x| x.kernel_class())
    };
    Some(CpuRun {
        threads: threads.unwrap_or(cpu.cores).max(1),
        cores: cpu.cores,
        kernels,
        gemv_frac: CpuKernels::rate(&kernels.gemv_frac, &quant.id, class_of),
        gemm_frac: CpuKernels::rate(&kernels.gemm_frac, &quant.id, class_of),
    })
}
