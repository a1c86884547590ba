//! Chart 2, the `fit` answer: one horizontal bar per device in rank order (best at the top),
//! decode tok/s with the cache full, coloured by memory verdict (fits, spills to host, does
//! not fit), the interval as an error bar and the value at its end.

use super::style::{self, font, num};
use super::{render, Chart};
use crate::advise::row::ScenarioRow;
use crate::error::{Error, Result};
use crate::model::Verdict;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// The most devices one chart shows (the first in rank order); a note says how many more.
pub const FIT_CHART_MAX_ROWS: usize = 30;

/// Draws the ranked `fit` rows (as [`crate::advise::fit::fit`] returns them) to `path`.
pub fn fit_chart(rows: &[ScenarioRow], title: &str, path: &Path) -> Result<()> {
    if rows.is_empty() {
        return Err(Error::Input("nothing to plot: no devices".into()));
    }
    render(path, &FitChart { rows, title })
}

struct FitChart<'a> {
    rows: &'a [ScenarioRow<'a>],
    title: &'a str,
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Fits => "fits in fast memory",
        Verdict::Spills => "spills to host memory",
        Verdict::DoesNotFit => "does not fit",
    }
}

impl Chart for FitChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let shown = &self.rows[..self.rows.len().min(FIT_CHART_MAX_ROWS)];
        let n = shown.len();
        let x_hi = shown
            .iter()
            .flat_map(|r| [r.decode_tok_s, r.decode_tok_s_hi])
            .flatten()
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max)
            .max(1.0)
            * 1.15;
        let label_size = if n > 20 { 15 } else { style::LABEL };
        // Room for the longest name (DejaVu Sans averages ~0.6 em a character) and the
        // axis description.
        let longest = shown
            .iter()
            .map(|r| r.device.chars().count())
            .max()
            .unwrap_or(8);
        let label_area = (longest as f64 * f64::from(label_size) * 0.6) as u32 + 60;
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, font(style::TITLE))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(label_area.clamp(120, 420))
            .build_cartesian_2d(0.0..x_hi, (0..n as i32).into_segmented())?;
        // Rank 1 at the top: segment k shows row n − 1 − k.
        let row_at = |k: i32| shown.get(n.wrapping_sub(1).wrapping_sub(k as usize));
        chart
            .configure_mesh()
            .x_desc("decode speed with the cache full (tok/s)")
            .y_desc("device (ranked)")
            .axis_desc_style(font(style::AXIS_DESC))
            .x_label_style(font(style::LABEL))
            .y_label_style(font(label_size))
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(k) => {
                    row_at(*k).map_or(String::new(), |r| r.device.to_string())
                }
                _ => String::new(),
            })
            .x_label_formatter(&|v| num(*v))
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()?;
        for v in [Verdict::Fits, Verdict::Spills, Verdict::DoesNotFit] {
            let c = style::verdict_color(v);
            chart
                .draw_series(std::iter::empty::<Circle<(f64, SegmentValue<i32>), i32>>())?
                .label(verdict_label(v))
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 18, y + 7)], c.filled()));
        }
        for (i, r) in shown.iter().enumerate() {
            let k = (n - 1 - i) as i32;
            draw_row(&mut chart, r, k, x_hi)?;
        }
        style::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        if self.rows.len() > n {
            root.draw(&Text::new(
                format!("top {n} of {} devices", self.rows.len()),
                (20, root.dim_in_pixel().1 as i32 - 24),
                font(style::LEGEND).color(&style::INK),
            ))?;
        }
        Ok(())
    }
}

type BarChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordi32>>>;

fn draw_row<DB: DrawingBackend>(
    chart: &mut BarChart<'_, DB>,
    r: &ScenarioRow,
    k: i32,
    x_hi: f64,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let centre = SegmentValue::CenterOf(k);
    let note_style = font(style::LEGEND - 2)
        .color(&style::INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let Some(v) = r.decode_tok_s.filter(|v| v.is_finite()) else {
        return chart
            .draw_series(std::iter::once(Text::new(
                "does not fit",
                (x_hi * 0.01, centre),
                note_style.color(&style::DOES_NOT_FIT),
            )))
            .map(|_| ());
    };
    let col = style::verdict_color(r.verdict);
    let mut bar = Rectangle::new(
        [
            (0.0, SegmentValue::Exact(k)),
            (v, SegmentValue::Exact(k + 1)),
        ],
        col.filled(),
    );
    bar.set_margin(3, 3, 0, 0);
    chart.draw_series(std::iter::once(bar))?;
    let (lo, hi) = (
        r.decode_tok_s_lo.unwrap_or(v),
        r.decode_tok_s_hi.unwrap_or(v),
    );
    chart.draw_series(std::iter::once(ErrorBar::new_horizontal(
        centre.clone(),
        lo,
        v,
        hi,
        style::INK.stroke_width(2),
        10,
    )))?;
    chart
        .draw_series(std::iter::once(Text::new(
            num(v),
            (hi.max(v) + x_hi * 0.01, centre),
            note_style,
        )))
        .map(|_| ())
}
