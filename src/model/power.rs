//! Power: the clock a board holds under a power limit, the speed that follows, and the
//! power it actually draws.
//!
//! A phase (a decode step, a prefill) spends its time `t = t_m + t_o + t_c + t_l` in four
//! kinds of work: streaming the fast tier (`t_m`, set by the memory clock, which a power cap
//! leaves alone), off the board (`t_o`: host RAM, the link, disk), matmuls and attention
//! (`t_c`) and the small per-layer kernels (`t_l`), the last two set by the core clock.
//! At core clock `x` (a share of the full clock) the board draws
//!
//! `P(x) = P_idle + (P_def − P_idle) · (a_m · t_m + (a_c · t_c(x) + a_l · t_l(x)) · g(x)) / t(x)`
//!
//! with `t_c(x) = t_c · x₀/x`, `t_l(x) = t_l · x₀/x` (times measured at the clock `x₀` the
//! default limit allows), `g(x) = x · max(x, x_k)²` the dynamic power `f·V²` relative to the
//! full clock (the voltage falls with the clock down to the knee `x_k`, then stays), and
//! `a_m`, `a_c`, `a_l` the power of each kind of work at full clock as a share of the
//! board's dynamic range. The clock under a limit `L` is the highest `x ≤ 1` with
//! `P(x) ≤ L` (`P` rises with `x`); the phase then takes `t(x)`, and draws `P(x)`.
//!
//! So decode, mostly memory-bound, draws less than the limit and loses nothing until the
//! limit falls below its draw; then its per-layer kernels slow with the clock. Prefill,
//! compute-bound, draws close to the default limit and slows with any cap below it, slowly at
//! first (`P ∝ x³` near the top) and fast below the knee (`P ∝ x`). A batch that makes decode
//! compute-bound makes it behave like prefill. The parameters are fitted on a measured
//! power-cap sweep (`calibration/power.yaml`, `docs/power.md`).

use super::decode::DecodeStep;
use super::prefill::PrefillTime;
use crate::units::Seconds;
use serde::Serialize;

/// The lowest clock share the solver considers (a board at its minimum limit runs well above).
pub const MIN_CLOCK_FRAC: f64 = 0.05;

/// A board's limits and idle draw, W.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Board {
    /// The limit it ships with.
    pub default_w: f64,
    /// The lowest limit the driver accepts.
    pub min_w: f64,
    /// The highest limit the driver accepts.
    pub max_w: f64,
    /// Draw at idle.
    pub idle_w: f64,
}

/// The model's parameters (see the module doc: `a_m`, `a_c`, `a_l`, `x_k`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerParams {
    /// `a_m`: memory streaming at full speed.
    pub memory: f64,
    /// `a_c`: matmuls at full clock.
    pub compute: f64,
    /// `a_l`: per-layer kernels at full clock.
    pub latency: f64,
    /// `x_k`: the clock share below which the voltage stays at its floor.
    pub knee_clock: f64,
}

/// A board, the model's parameters and the limit set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerModel {
    /// The board.
    pub board: Board,
    /// The parameters.
    pub params: PowerParams,
    /// The limit, W.
    pub limit_w: f64,
}

/// A phase's time by kind of work, seconds, at the clock of the default limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseTimes {
    /// Streaming the fast tier.
    pub memory: f64,
    /// Host RAM, link and disk.
    pub off_board: f64,
    /// Matmuls and attention.
    pub compute: f64,
    /// Per-layer kernels.
    pub latency: f64,
}

impl PhaseTimes {
    /// A decode step's: attention kernels count as compute, the fixed and per-expert time as
    /// per-layer kernels.
    pub fn of_decode(d: &DecodeStep) -> PhaseTimes {
        PhaseTimes {
            memory: d.t_fast_memory.0,
            off_board: d.t_host.0 + d.t_link.0 + d.t_disk.0,
            compute: d.t_fast_compute.0 + (d.t_latency.0 - d.t_overhead.0),
            latency: d.t_overhead.0,
        }
    }
    /// A prefill's: matmuls and attention are compute, the per-micro-batch costs per-layer
    /// kernels, the weight reads memory.
    pub fn of_prefill(p: &PrefillTime) -> PhaseTimes {
        PhaseTimes {
            memory: p.t_memory.0 - p.t_overhead.0,
            off_board: p.t_link.0,
            compute: p.t_compute.0 + p.t_attn.0,
            latency: p.t_overhead.0,
        }
    }
    /// Total time when the core runs `slowdown` times slower than at the default limit.
    pub fn total(&self, slowdown: f64) -> f64 {
        self.memory + self.off_board + (self.compute + self.latency) * slowdown
    }
}

/// `g(x) = x · max(x, x_k)²`: dynamic power `f·V²` at clock share `x`, relative to the full
/// clock, the voltage proportional to the clock above the knee and constant below it.
pub fn dynamic_power_frac(x: f64, knee: f64) -> f64 {
    let v = x.max(knee);
    x * v * v
}

/// A phase under the limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PhaseAtLimit {
    /// Core clock, share of the full clock.
    pub clock_frac: f64,
    /// How many times slower the core runs than at the default limit (`x₀/x`).
    pub core_slowdown: f64,
    /// Time under the limit over time at the default limit (1: no loss).
    pub time_factor: f64,
    /// Board power drawn, W.
    pub power_w: f64,
}

impl PowerModel {
    /// Board power at clock `x` for a phase whose times `t` were taken at clock `x0`, W.
    pub fn draw_w(&self, t: &PhaseTimes, x0: f64, x: f64) -> f64 {
        let k = x0 / x;
        let total = t.total(k);
        if total <= 0.0 {
            return self.board.idle_w;
        }
        let p = &self.params;
        let busy = p.memory * t.memory
            + (p.compute * t.compute + p.latency * t.latency)
                * k
                * dynamic_power_frac(x, p.knee_clock);
        self.board.idle_w + (self.board.default_w - self.board.idle_w) * busy / total
    }

    /// The highest clock share in `[MIN_CLOCK_FRAC, 1]` whose draw stays within `limit_w`
    /// (bisection: the draw rises with the clock). `x0` is the clock the times were taken
    /// at; `None` solves for the clock the times themselves run at.
    pub fn clock_at(&self, t: &PhaseTimes, x0: Option<f64>, limit_w: f64) -> f64 {
        let draw = |x: f64| self.draw_w(t, x0.unwrap_or(x), x);
        if draw(1.0) <= limit_w {
            return 1.0;
        }
        let (mut lo, mut hi) = (MIN_CLOCK_FRAC, 1.0);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if draw(mid) > limit_w {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        lo
    }

    /// The phase under this model's limit: its clock, slowdown and draw.
    pub fn at_limit(&self, t: &PhaseTimes) -> PhaseAtLimit {
        let x0 = self.clock_at(t, None, self.board.default_w);
        let x = if self.limit_w == self.board.default_w {
            x0
        } else {
            self.clock_at(t, Some(x0), self.limit_w)
        };
        let base = t.total(1.0);
        PhaseAtLimit {
            clock_frac: x,
            core_slowdown: x0 / x,
            time_factor: if base > 0.0 {
                t.total(x0 / x) / base
            } else {
                1.0
            },
            power_w: self.draw_w(t, x0, x),
        }
    }
}

/// Slows a decode step's core-clocked work by `slowdown` (the clock at the default limit over
/// the clock under the cap).
pub fn slow_decode(d: &mut DecodeStep, slowdown: f64) {
    let extra = (slowdown - 1.0) * (d.t_fast_compute.0 + d.t_latency.0);
    d.t_fast_compute = Seconds(d.t_fast_compute.0 * slowdown);
    d.t_expert_compute = Seconds(d.t_expert_compute.0 * slowdown);
    d.t_latency = Seconds(d.t_latency.0 * slowdown);
    d.t_overhead = Seconds(d.t_overhead.0 * slowdown);
    d.time = Seconds(d.time.0 + extra);
}

/// Slows a prefill's core-clocked work by `slowdown`.
pub fn slow_prefill(p: &mut PrefillTime, slowdown: f64) {
    let extra = (slowdown - 1.0) * (p.t_compute.0 + p.t_attn.0 + p.t_overhead.0);
    p.t_compute = Seconds(p.t_compute.0 * slowdown);
    p.t_expert_compute = Seconds(p.t_expert_compute.0 * slowdown);
    p.t_attn = Seconds(p.t_attn.0 * slowdown);
    p.t_memory = Seconds(p.t_memory.0 + (slowdown - 1.0) * p.t_overhead.0);
    p.t_overhead = Seconds(p.t_overhead.0 * slowdown);
    p.time = Seconds(p.time.0 + extra);
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn model(limit_w: f64) -> PowerModel {
        PowerModel {
            board: Board {
                default_w: 600.0,
                min_w: 200.0,
                max_w: 600.0,
                idle_w: 30.0,
            },
            params: PowerParams {
                memory: 0.5,
                compute: 1.0,
                latency: 0.5,
                knee_clock: 0.5,
            },
            limit_w,
        }
    }

    #[test]
    fn dynamic_power_is_cubic_above_the_knee_and_linear_below() {
        // 0.8 · 0.8² = 0.512; below the knee 0.25 · 0.5² = 0.0625, twice 0.125 · 0.25.
        assert_relative_eq!(dynamic_power_frac(0.8, 0.5), 0.512, max_relative = 1e-12);
        assert_relative_eq!(dynamic_power_frac(0.25, 0.5), 0.0625, max_relative = 1e-12);
        assert_relative_eq!(
            dynamic_power_frac(0.25, 0.5),
            2.0 * dynamic_power_frac(0.125, 0.5),
            max_relative = 1e-12
        );
        assert_relative_eq!(dynamic_power_frac(1.0, 0.5), 1.0);
    }

    #[test]
    fn a_compute_bound_phase_draws_the_default_limit_and_slows_as_the_cube_root() {
        // All compute, a_c = 1: P(1) = 30 + 570 · 1 = 600 W, the default limit, so x₀ = 1.
        // Under 315.0 W: 30 + 570 · x³ = 315 → x³ = 0.5 → x = 0.7937 (above the knee), the
        // phase 1/0.7937 = 1.26× slower, drawing the whole limit.
        let t = PhaseTimes {
            memory: 0.0,
            off_board: 0.0,
            compute: 1.0,
            latency: 0.0,
        };
        let m = model(315.0);
        let a = m.at_limit(&t);
        assert_relative_eq!(a.clock_frac, 0.5f64.cbrt(), max_relative = 1e-9);
        assert_relative_eq!(a.time_factor, 1.0 / 0.5f64.cbrt(), max_relative = 1e-9);
        assert_relative_eq!(a.power_w, 315.0, max_relative = 1e-9);
        // At the default limit nothing changes.
        let d = model(600.0).at_limit(&t);
        assert_relative_eq!(d.time_factor, 1.0);
        assert_relative_eq!(d.power_w, 600.0, max_relative = 1e-12);
    }

    #[test]
    fn a_memory_bound_phase_draws_less_and_keeps_its_speed_until_the_cap_bites() {
        // 3 ms memory, 1 ms per-layer kernels at x = 1: busy share
        // (0.5 · 3 + 0.5 · 1 · 1) / 4 = 0.5 → P = 30 + 570 · 0.5 = 315 W.
        let t = PhaseTimes {
            memory: 3e-3,
            off_board: 0.0,
            compute: 0.0,
            latency: 1e-3,
        };
        let above = model(400.0).at_limit(&t);
        assert_relative_eq!(above.power_w, 315.0, max_relative = 1e-9);
        assert_relative_eq!(above.time_factor, 1.0);
        // Capped at 250 W the clock falls until P(x) = 250; the step is slower and draws 250 W.
        let below = model(250.0).at_limit(&t);
        assert!(below.clock_frac < 1.0 && below.time_factor > 1.0);
        assert_relative_eq!(below.power_w, 250.0, max_relative = 1e-6);
        // Check the solution: at x, k = 1/x, P = 30 + 570 · (1.5 + 0.5 · 1e-3·k·g(x)/1e-3) / (3 + k).
        let x = below.clock_frac;
        let k = 1.0 / x;
        let p = 30.0 + 570.0 * (1.5 + 0.5 * k * dynamic_power_frac(x, 0.5)) / (3.0 + k);
        assert_relative_eq!(p, 250.0, max_relative = 1e-6);
        assert_relative_eq!(below.time_factor, (3.0 + k) / 4.0, max_relative = 1e-9);
    }

    #[test]
    fn a_lower_limit_never_speeds_a_phase_up() {
        let t = PhaseTimes {
            memory: 2e-3,
            off_board: 1e-4,
            compute: 5e-4,
            latency: 1e-3,
        };
        let mut last = 0.0;
        for l in (200..=600).rev().step_by(25) {
            let a = model(f64::from(l)).at_limit(&t);
            assert!(a.time_factor >= last - 1e-12, "{l} W");
            assert!(a.power_w <= f64::from(l) + 1e-6);
            last = a.time_factor;
        }
    }
}
