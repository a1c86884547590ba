//! Chart 1, the cliff: decode tok/s against context for one model on several devices (both
//! axes logarithmic), the interval as a shaded band, and for each device a dashed line at
//! the first context whose bytes leave fast memory, annotated with the bound on each side
//! (`memory:vram → memory:host-ram`). Filled markers fit in fast memory, hollow ones spill.

use super::style::{self, font, log_log_chart, log_range, log_ticks, num, LogAxis};
use super::{render, Chart};
use crate::advise::cliff::{Cliff, CliffPoint};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Draws decode tok/s against context for each [`Cliff`] (one per device) to `path`
/// (`.svg` or `.png`).
pub fn cliff_chart(cliffs: &[Cliff], title: &str, path: &Path) -> Result<()> {
    if !cliffs
        .iter()
        .any(|c| c.series.iter().any(|p| speed(p).is_some()))
    {
        return Err(Error::Input(
            "nothing to plot: the model does not fit on any of these devices at any context".into(),
        ));
    }
    render(path, &CliffChart { cliffs, title })
}

struct CliffChart<'a> {
    cliffs: &'a [Cliff],
    title: &'a str,
}

fn speed(p: &CliffPoint) -> Option<f64> {
    p.decode_tok_s.filter(|v| v.is_finite() && *v > 0.0)
}

/// `512`, `4K`, `128K`, `1M`.
fn ctx_label(c: f64) -> String {
    let c = c.round() as u64;
    if c >= 1 << 20 && c.is_multiple_of(1 << 20) {
        format!("{}M", c >> 20)
    } else if c >= 1024 && c.is_multiple_of(1024) {
        format!("{}K", c / 1024)
    } else {
        c.to_string()
    }
}

/// Powers of two from `lo` to `hi`, thinned to at most 12.
fn ctx_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let all: Vec<f64> = (0..40)
        .map(|e| 2f64.powi(e))
        .filter(|t| *t >= lo && *t <= hi)
        .collect();
    let step = all.len().div_ceil(12).max(1);
    all.into_iter().step_by(step).collect()
}

/// `18,562`.
fn grouped(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The annotation of a cliff: where, which tier the bytes leave for which, the speed on
/// each side.
fn cliff_note(c: &Cliff) -> Option<(u64, String)> {
    let at = c.cliff_ctx.filter(|x| *x > 0)?;
    let fast = c
        .series
        .iter()
        .rev()
        .find(|p| p.ctx < at)
        .map(|p| p.bound.tier);
    let host = c
        .series
        .iter()
        .filter(|p| p.ctx >= at)
        .map(|p| p.bound.tier)
        .find(|t| Some(*t) != fast);
    let tiers = match (fast, host) {
        (Some(f), Some(h)) => format!("{f} → {h}"),
        (Some(f), None) => format!("{f} full, spills to the host"),
        _ => "spills to the host".into(),
    };
    let speeds = match (c.decode_tok_s_before, c.decode_tok_s_after) {
        (Some(b), Some(a)) => format!(", {} → {} tok/s", num(b), num(a)),
        _ => String::new(),
    };
    Some((
        at,
        format!("{} at {} tokens: {tiers}{speeds}", c.device, grouped(at)),
    ))
}

fn legend_label(c: &Cliff) -> String {
    match c.cliff_ctx {
        Some(0) => format!("{} (spills at every context)", c.device),
        Some(x) => format!("{} (cliff at {} tokens)", c.device, grouped(x)),
        None => format!("{} (no cliff)", c.device),
    }
}

impl Chart for CliffChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let pts = || self.cliffs.iter().flat_map(|c| c.series.iter());
        let (x_lo, x_hi) = log_range(pts().map(|p| p.ctx as f64), 1.15).unwrap_or((256.0, 1e6));
        let (y_lo, y_hi) = log_range(
            pts()
                .flat_map(|p| [speed(p), p.decode_tok_s_lo, p.decode_tok_s_hi])
                .flatten(),
            1.3,
        )
        .unwrap_or((0.1, 1000.0));
        // Room above every line and band for the cliff notes, one row each.
        let notes = self
            .cliffs
            .iter()
            .filter(|c| cliff_note(c).is_some())
            .count();
        let y_hi = if notes > 0 {
            let t = note_band(notes);
            ((y_hi.ln() - t * y_lo.ln()) / (1.0 - t)).exp()
        } else {
            y_hi
        };
        let mut chart = log_log_chart(
            root,
            self.title,
            LogAxis {
                lo: x_lo,
                hi: x_hi,
                ticks: ctx_ticks(x_lo, x_hi),
                desc: "context filled (tokens, log scale)",
                label: &|v| ctx_label(*v),
            },
            LogAxis {
                lo: y_lo,
                hi: y_hi,
                ticks: log_ticks(y_lo, y_hi),
                desc: "decode speed (tok/s, log scale)",
                label: &|v| num(*v),
            },
        )?;
        let mut note = 0;
        for (i, c) in self.cliffs.iter().enumerate() {
            let col = style::color(i);
            draw_series(&mut chart, c, col, note, ((x_lo, x_hi), (y_lo, y_hi)))?;
            note += usize::from(cliff_note(c).is_some());
        }
        style::legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Ok(())
    }
}

/// Where the first cliff note sits, as a share of the log y range from the top.
const NOTE_TOP: f64 = 0.04;
/// The height of one row of notes, as a share of the log y range.
const NOTE_ROW: f64 = 0.055;

/// The share of the log y range, from the top, that `n` notes take (lines stay below it).
fn note_band(n: usize) -> f64 {
    (NOTE_TOP + NOTE_ROW * n as f64).min(0.6)
}

type LogChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::combinators::WithKeyPoints<LogCoord<f64>>,
        plotters::coord::combinators::WithKeyPoints<LogCoord<f64>>,
    >,
>;

fn draw_series<DB: DrawingBackend>(
    chart: &mut LogChart<'_, DB>,
    c: &Cliff,
    col: RGBColor,
    row: usize,
    ((x_lo, x_hi), (y_lo, y_hi)): ((f64, f64), (f64, f64)),
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    // Runs of points that run at all (a does-not-fit point breaks the line).
    let runs: Vec<Vec<&CliffPoint>> = c
        .series
        .split(|p| speed(p).is_none())
        .filter(|r| !r.is_empty())
        .map(|r| r.iter().collect())
        .collect();
    for run in &runs {
        let band: Vec<(f64, f64)> = run
            .iter()
            .filter_map(|p| Some((p.ctx as f64, p.decode_tok_s_hi?)))
            .chain(
                run.iter()
                    .rev()
                    .filter_map(|p| Some((p.ctx as f64, p.decode_tok_s_lo?))),
            )
            .filter(|(_, y)| *y > 0.0)
            .collect();
        if band.len() >= 3 {
            chart.draw_series(std::iter::once(Polygon::new(band, col.mix(0.12).filled())))?;
        }
    }
    let mut first = true;
    for run in &runs {
        let line: Vec<(f64, f64)> = run
            .iter()
            .filter_map(|p| Some((p.ctx as f64, speed(p)?)))
            .collect();
        let s = chart.draw_series(LineSeries::new(line, col.stroke_width(3)))?;
        if first {
            s.label(legend_label(c)).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], col.stroke_width(3))
            });
            first = false;
        }
    }
    chart.draw_series(c.series.iter().filter_map(|p| {
        let y = speed(p)?;
        let style = if p.verdict == crate::model::Verdict::Fits {
            col.filled()
        } else {
            col.stroke_width(2)
        };
        Some(Circle::new((p.ctx as f64, y), 5, style))
    }))?;
    if let Some((at, note)) = cliff_note(c) {
        let x = at as f64;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(x, y_lo), (x, y_hi)],
            8,
            6,
            col.stroke_width(2),
        )))?;
        // Notes stack down from the top in the band kept free for them, on the side with room.
        let y = y_hi * (y_lo / y_hi).powf(NOTE_TOP + NOTE_ROW * row as f64);
        let right_side = (x / x_lo).ln() < 0.6 * (x_hi / x_lo).ln();
        let (dx, h) = if right_side {
            (1.04, HPos::Left)
        } else {
            (1.0 / 1.04, HPos::Right)
        };
        let text_style = font(style::LEGEND)
            .color(&style::INK)
            .pos(Pos::new(h, VPos::Center));
        chart.draw_series(std::iter::once(Text::new(note, (x * dx, y), text_style)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_labels_use_k_and_m() {
        assert_eq!(ctx_label(512.0), "512");
        assert_eq!(ctx_label(32768.0), "32K");
        assert_eq!(ctx_label(1048576.0), "1M");
        assert_eq!(ctx_label(40961.0), "40961");
        assert_eq!(grouped(18562), "18,562");
        assert_eq!(grouped(512), "512");
    }

    #[test]
    fn context_ticks_are_powers_of_two() {
        assert_eq!(
            ctx_ticks(400.0, 5000.0),
            vec![512.0, 1024.0, 2048.0, 4096.0]
        );
        assert!(ctx_ticks(1.0, 1e9).len() <= 12);
    }
}
