//! Chart 5, the roofline of a device: attainable FLOP/s against arithmetic intensity,
//! `min(P, I · BW)`, for the fast tier (and, dashed, the bandwidth slope of the host tier),
//! with a scenario's decode and prefill placed on it.
//!
//! - decode: `I = 2·A / B` with `A` the active matmul parameters and `B` the bytes one token
//!   reads from every tier (weights and KV cache); attained `2·A / t_token`;
//! - prefill: one micro-batch of `u = min(ubatch, prompt)` tokens does `2·A·u` FLOP over one
//!   read of the stored weights `W`, so `I = 2·A·u / W`; attained `2·A·n / t_prefill`.
//!
//! FLOP counts are the matmul work only (attention kernels excluded), the convention of
//! [`crate::model::decode`] and [`crate::model::prefill`]. `P` is the dense FP16 peak.

use super::style::{self, font, log_log_chart, log_range, log_ticks, num, LogAxis};
use super::{render, Chart};
use crate::error::{Error, Result};
use crate::model::params::param_groups;
use crate::model::predict::predict;
use crate::model::{tier_names, Scenario};
use crate::units::{BytesPerSecond, FlopPerSecond};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// One operating point placed on the roofline.
#[derive(Debug, Clone, PartialEq)]
pub struct RooflinePoint {
    /// Legend text (phase and speed).
    pub label: String,
    /// Arithmetic intensity, FLOP per byte read.
    pub flop_per_byte: f64,
    /// FLOP/s the scenario attains.
    pub attained: FlopPerSecond,
}

/// A device's roofs and the points of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Roofline {
    /// Device id.
    pub device: String,
    /// Dense FP16 peak.
    pub peak: FlopPerSecond,
    /// Fast-tier bandwidth.
    pub fast_bandwidth: BytesPerSecond,
    /// Fast-tier name (vram, unified, ram).
    pub fast_tier: String,
    /// Host-tier bandwidth and name, when the device has one.
    pub host: Option<(BytesPerSecond, String)>,
    /// Operating points.
    pub points: Vec<RooflinePoint>,
}

impl Roofline {
    /// The roofs of the scenario's device with its decode and prefill points.
    pub fn of(s: &Scenario) -> Roofline {
        let p = predict(s);
        let d = s.device;
        let (fast, host) = tier_names(d);
        let flop_tok = 2.0 * param_groups(s.model).active_matmul();
        let dec_bytes = p.decode.bytes_fast.0 + p.decode.bytes_host.0 + p.decode.bytes_link.0;
        let n = s.prompt.max(1) as f64;
        let u = f64::from(s.ubatch.max(1)).min(n);
        let w = s.weights;
        let weights = w.head.0 + w.dense_layers.0 + w.experts.0;
        let mut points = Vec::new();
        if let Some(t) = p.decode_tok_s {
            points.push(RooflinePoint {
                label: format!(
                    "decode at {} tokens deep: {} tok/s",
                    depth_of(s),
                    num(t.value)
                ),
                flop_per_byte: flop_tok / dec_bytes,
                attained: FlopPerSecond(flop_tok / p.decode.time.0),
            });
        }
        if let Some(t) = p.prefill_tok_s {
            points.push(RooflinePoint {
                label: format!(
                    "prefill of {} tokens, {}-token batches: {} tok/s",
                    n as u64,
                    u as u64,
                    num(t.value)
                ),
                flop_per_byte: flop_tok * u / weights,
                attained: FlopPerSecond(flop_tok * n / p.prefill.time.0),
            });
        }
        Roofline {
            device: d.raw.id.clone(),
            peak: d.fp16_peak,
            fast_bandwidth: d.fast.bandwidth,
            fast_tier: fast.to_string(),
            host: d
                .host
                .filter(|_| host != crate::model::TierName::None)
                .map(|t| (t.bandwidth, host.to_string())),
            points,
        }
    }

    /// Intensity at which the fast-tier roof meets the compute roof, FLOP per byte.
    pub fn ridge_flop_per_byte(&self) -> f64 {
        self.peak.0 / self.fast_bandwidth.0
    }
}

/// The mean depth decode is evaluated at, as a token count.
fn depth_of(s: &Scenario) -> u64 {
    s.depth + s.prompt + s.gen / 2
}

/// Draws the roofline to `path`.
pub fn roofline_chart(r: &Roofline, title: &str, path: &Path) -> Result<()> {
    let ok = |v: f64| v.is_finite() && v > 0.0;
    if !(ok(r.peak.0) && ok(r.fast_bandwidth.0)) {
        return Err(Error::Input(format!(
            "roofline of '{}': peak FLOP/s and bandwidth must be positive",
            r.device
        )));
    }
    render(path, &RooflineChart { r, title })
}

struct RooflineChart<'a> {
    r: &'a Roofline,
    title: &'a str,
}

const TERA: f64 = 1e12;

impl Chart for RooflineChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let r = self.r;
        let pts: Vec<&RooflinePoint> = r
            .points
            .iter()
            .filter(|p| p.flop_per_byte > 0.0 && p.attained.0 > 0.0 && p.attained.0.is_finite())
            .collect();
        let ridge = r.ridge_flop_per_byte();
        let (x_lo, x_hi) = log_range(
            pts.iter()
                .map(|p| p.flop_per_byte)
                .chain([ridge, ridge * 20.0, ridge / 50.0]),
            2.0,
        )
        .unwrap_or((0.1, 1e4));
        let peak = r.peak.0 / TERA;
        let (y_lo, y_hi) = log_range(
            pts.iter()
                .map(|p| p.attained.0 / TERA)
                .chain([peak, x_lo * r.fast_bandwidth.0 / TERA]),
            2.0,
        )
        .unwrap_or((1e-3, 1e3));
        let mut chart = log_log_chart(
            root,
            self.title,
            LogAxis {
                lo: x_lo,
                hi: x_hi,
                ticks: log_ticks(x_lo, x_hi),
                desc: "arithmetic intensity (FLOP/byte, log scale)",
                label: &|v| num(*v),
            },
            LogAxis {
                lo: y_lo,
                hi: y_hi,
                ticks: log_ticks(y_lo, y_hi),
                desc: "attainable compute (TFLOP/s, log scale)",
                label: &|v| num(*v),
            },
        )?;
        // A roof: the bandwidth slope from where it enters the chart to the ridge, then flat.
        let roof = |bw: f64| -> Vec<(f64, f64)> {
            let start = (y_lo * TERA / bw).max(x_lo);
            let knee = (r.peak.0 / bw).clamp(start, x_hi);
            vec![
                (start, start * bw / TERA),
                (knee, knee * bw / TERA),
                (x_hi, peak.min(x_hi * bw / TERA)),
            ]
        };
        let fast = r.fast_bandwidth.0;
        chart
            .draw_series(std::iter::once(PathElement::new(
                roof(fast),
                BLACK.stroke_width(3),
            )))?
            .label(format!(
                "{} roof: {} GB/s, FP16 peak {} TFLOP/s",
                r.fast_tier,
                num(fast / 1e9),
                num(peak)
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3)));
        if let Some((bw, name)) = &r.host {
            // Only the slope: what runs from the host tier is not bound by this device's peak.
            let mut slope = roof(bw.0);
            slope.truncate(2);
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    slope,
                    10,
                    6,
                    style::INK.stroke_width(2),
                )))?
                .label(format!(
                    "{name} bandwidth: {} GB/s (what spills there)",
                    num(bw.0 / 1e9)
                ))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], style::INK.stroke_width(2))
                });
        }
        chart.draw_series(std::iter::once(Text::new(
            format!("ridge {} FLOP/byte", num(ridge)),
            (ridge * 1.1, peak * 1.08),
            font(style::LEGEND)
                .color(&style::INK)
                .pos(Pos::new(HPos::Left, VPos::Bottom)),
        )))?;
        for (i, p) in pts.iter().enumerate() {
            let col = style::color([0, 5, 2, 3][i % 4]);
            let xy = (p.flop_per_byte, p.attained.0 / TERA);
            chart
                .draw_series(std::iter::once(Circle::new(xy, 9, col.filled())))?
                .label(format!(
                    "{}: {} FLOP/byte, {} TFLOP/s",
                    p.label,
                    num(p.flop_per_byte),
                    num(xy.1)
                ))
                .legend(move |(x, y)| Circle::new((x + 9, y), 7, col.filled()));
        }
        style::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}
