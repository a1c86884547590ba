//! The fit of llama.cpp's CPU kernels (`calibration/cpu.yaml`, see [`crate::model::cpu`]):
//! every parameter at once, minimizing the squared log error of predicted against measured
//! tok/s over the single-stream llama-bench rows of CPU machines whose cores and features are
//! known (a device `cpu` block), with the physics `predict` runs. Parameters are fitted in
//! log space (all positive) by Nelder–Mead from the documented starting point, restarted
//! until it no longer improves.

use super::features::{scenario, UNIT};
use super::fit::Sample;
use super::trace::Test;
use crate::db::cpu::CpuKernels;
use crate::db::Db;
use crate::model::cpu::CpuRun;
use crate::model::predict::predict;
use crate::model::Scenario;

use super::map::CPU_BACKEND;

/// A row ready for the fit: its scenario and what it measured.
struct Row<'a> {
    s: Scenario<'a>,
    threads: u32,
    cores: u32,
    test: Test,
    quant: String,
    measured: f64,
}

/// Parameter layout: index of each scalar in the vector, in log space.
struct Layout {
    gemv: Vec<String>,
    gemm: Vec<String>,
}

const SCALARS: [&str; 8] = [
    "thread_gb_s",
    "decode_attn_frac",
    "decode_attn_fa_frac",
    "prefill_attn_frac",
    "prefill_attn_fa_frac",
    "token_s",
    "layer_s",
    "layer_sync_s",
];

/// Starting point: one core streams 10 GB/s, kernels run at a tenth of the FP32 peak,
/// 100 µs per token and 10 µs per layer (order of magnitude only; the fit moves them).
const START: [f64; 8] = [10.0, 0.1, 0.1, 0.1, 0.1, 1e-4, 1e-5, 1e-5];

impl Layout {
    fn len(&self) -> usize {
        SCALARS.len() + self.gemv.len() + self.gemm.len()
    }
    fn kernels(&self, x: &[f64], features: &[String]) -> CpuKernels {
        let e = |i: usize| x[i].exp();
        let n = SCALARS.len();
        CpuKernels {
            backend: CPU_BACKEND.into(),
            features: features.to_vec(),
            thread_gb_s: e(0),
            decode_attn_frac: e(1),
            decode_attn_fa_frac: e(2),
            prefill_attn_frac: e(3),
            prefill_attn_fa_frac: e(4),
            token_s: e(5),
            layer_s: e(6),
            layer_sync_s: e(7),
            gemv_frac: self
                .gemv
                .iter()
                .enumerate()
                .map(|(i, q)| (q.clone(), e(n + i)))
                .collect(),
            gemm_frac: self
                .gemm
                .iter()
                .enumerate()
                .map(|(i, q)| (q.clone(), e(n + self.gemv.len() + i)))
                .collect(),
            rows: 0,
            tg_mape_pct: None,
            pp_mape_pct: None,
            source: String::new(),
        }
    }
}

/// Predicted tok/s of a row with kernels `k`.
fn predict_row(r: &Row, k: &CpuKernels) -> f64 {
    let s = Scenario {
        cpu: Some(CpuRun {
            threads: r.threads,
            cores: r.cores,
            kernels: k,
            gemv_frac: k.gemv_frac.get(&r.quant).copied().unwrap_or(1.0),
            gemm_frac: k.gemm_frac.get(&r.quant).copied().unwrap_or(1.0),
        }),
        ..r.s
    };
    let p = predict(&s);
    let est = match r.test {
        Test::Tg => p.decode_tok_s,
        Test::Pp => p.prefill_tok_s,
    };
    est.map_or(0.0, |e| e.value) * f64::from(s.batch)
}

fn loss(rows: &[Row], k: &CpuKernels) -> f64 {
    rows.iter()
        .map(|r| {
            let p = predict_row(r, k);
            if p > 0.0 && p.is_finite() {
                (p / r.measured).ln().powi(2)
            } else {
                1e6
            }
        })
        .sum()
}

/// Nelder–Mead on `f` from `x0` (steps of `step` in each coordinate), `iters` iterations.
fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, x0: &[f64], step: f64, iters: usize) -> Vec<f64> {
    let n = x0.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|i| {
            let mut x = x0.to_vec();
            if i > 0 {
                x[i - 1] += step;
            }
            let v = f(&x);
            (x, v)
        })
        .collect();
    for _ in 0..iters {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|p| p.0[j]).sum::<f64>() / n as f64)
            .collect();
        let at = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n].0)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let xr = at(-1.0);
        let fr = f(&xr);
        if fr < simplex[0].1 {
            let xe = at(-2.0);
            let fe = f(&xe);
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
        } else {
            let xc = at(0.5);
            let fc = f(&xc);
            if fc < simplex[n].1 {
                simplex[n] = (xc, fc);
            } else {
                let best = simplex[0].0.clone();
                for p in simplex.iter_mut().skip(1) {
                    p.0 = best
                        .iter()
                        .zip(&p.0)
                        .map(|(b, x)| b + 0.5 * (x - b))
                        .collect();
                    p.1 = f(&p.0);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0).0
}

/// Nelder–Mead from `x`, restarted (wide and narrow steps in turn) until a restart no
/// longer improves, at least four times and at most forty.
fn minimize(objective: &dyn Fn(&[f64]) -> f64, mut x: Vec<f64>) -> Vec<f64> {
    let mut best = objective(&x);
    for round in 0..40 {
        let y = nelder_mead(objective, &x, if round % 2 == 0 { 1.0 } else { 0.3 }, 3000);
        let v = objective(&y);
        let done = v > best * (1.0 - 1e-6);
        if v < best {
            (x, best) = (y, v);
        }
        if done && round >= 3 {
            break;
        }
    }
    x
}

/// MAPE (%) of the rows of one test.
fn mape(rows: &[Row], k: &CpuKernels, test: Test) -> Option<f64> {
    let apes: Vec<f64> = rows
        .iter()
        .filter(|r| r.test == test)
        .map(|r| (predict_row(r, k) / r.measured - 1.0).abs() * 100.0)
        .collect();
    (!apes.is_empty()).then(|| apes.iter().sum::<f64>() / apes.len() as f64)
}

/// Fits the CPU kernels on the CPU-kernel rows of `samples` (single-stream ones). The
/// features recorded are those every fitted machine has. `None` when no row qualifies.
pub fn fit_cpu_kernels(
    db: &Db,
    samples: &[Sample],
    source: &str,
) -> crate::Result<Option<CpuKernels>> {
    let mut rows = Vec::new();
    let mut features: Option<Vec<String>> = None;
    for smp in samples
        .iter()
        .filter(|s| s.single_stream() && s.mapped.is_cpu_kernel_row())
    {
        let m = &smp.mapped;
        let cpu = m
            .device
            .raw
            .cpu
            .as_ref()
            .expect("a CPU-kernel row has a cpu block");
        features = Some(match features {
            None => cpu.features.clone(),
            Some(f) => f.into_iter().filter(|x| cpu.has(x)).collect(),
        });
        rows.push(Row {
            s: scenario(db, m, UNIT)?,
            threads: m.row.n_threads.unwrap_or(cpu.cores),
            cores: cpu.cores,
            test: smp.feat.test,
            quant: m.quant.id.clone(),
            measured: m.row.tok_s,
        });
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let mut quants: Vec<String> = rows.iter().map(|r| r.quant.clone()).collect();
    quants.sort();
    quants.dedup();
    let layout = Layout {
        gemv: quants.clone(),
        gemm: quants,
    };
    let features = features.unwrap_or_default();
    let mut x: Vec<f64> = START.iter().map(|v| v.ln()).collect();
    x.resize(layout.len(), 0.1f64.ln());
    let objective = |x: &[f64]| {
        let k = layout.kernels(x, &features);
        loss(&rows, &k)
    };
    let x = minimize(&objective, x);
    let mut k = layout.kernels(&x, &features);
    // Past the machines' bandwidth the per-thread limit never binds, and times far under a
    // nanosecond are nothing: written as the bandwidth and 0 (the same predictions).
    let max_bw = rows
        .iter()
        .map(|r| r.s.device.fast.bandwidth.0 / 1e9)
        .fold(0.0, f64::max);
    k.thread_gb_s = k.thread_gb_s.min(max_bw);
    for t in [&mut k.token_s, &mut k.layer_s, &mut k.layer_sync_s] {
        if *t < 1e-9 {
            *t = 0.0;
        }
    }
    k.rows = rows.len();
    k.tg_mape_pct = mape(&rows, &k, Test::Tg).map(round4);
    k.pp_mape_pct = mape(&rows, &k, Test::Pp).map(round4);
    k.source = source.to_string();
    round_all(&mut k);
    Ok(Some(k))
}

fn round4(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let m = 10f64.powi(3 - v.abs().log10().floor() as i32);
    (v * m).round() / m
}

fn round_all(k: &mut CpuKernels) {
    for v in [
        &mut k.thread_gb_s,
        &mut k.decode_attn_frac,
        &mut k.decode_attn_fa_frac,
        &mut k.prefill_attn_frac,
        &mut k.prefill_attn_fa_frac,
        &mut k.token_s,
        &mut k.layer_s,
        &mut k.layer_sync_s,
    ] {
        *v = round4(*v);
    }
    for v in k.gemv_frac.values_mut().chain(k.gemm_frac.values_mut()) {
        *v = round4(*v);
    }
}
