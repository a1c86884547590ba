//! Chart 3, calibration: predicted against measured tok/s of one `validate` run, both axes
//! logarithmic, the line y = x and a ±10% band around it; colour is the backend, the marker
//! the phase (circle: decode, triangle: prefill). A note gives the share of rows inside the
//! band for each phase.

use super::style::{self, font, log_log_chart, log_range, log_ticks, num, LogAxis};
use super::{render, Chart};
use crate::calib::trace::Test;
use crate::calib::validate::ValidationRow;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Draws predicted against measured for `rows` (as
/// [`crate::calib::validate::validate`] returns them) to `path`.
pub fn calibration_chart(rows: &[ValidationRow], title: &str, path: &Path) -> Result<()> {
    if !rows.iter().any(usable) {
        return Err(Error::Input(
            "nothing to plot: no row has a positive measured and predicted tok/s".into(),
        ));
    }
    render(path, &CalibrationChart { rows, title })
}

struct CalibrationChart<'a> {
    rows: &'a [ValidationRow],
    title: &'a str,
}

fn usable(r: &ValidationRow) -> bool {
    [r.measured_tok_s, r.predicted_tok_s]
        .iter()
        .all(|v| v.is_finite() && *v > 0.0)
}

/// "decode: 412 of 980 rows (42%) within ±10%".
fn band_share(rows: &[ValidationRow], test: Test, name: &str) -> Option<String> {
    let of: Vec<_> = rows
        .iter()
        .filter(|r| r.test == test && usable(r))
        .collect();
    if of.is_empty() {
        return None;
    }
    let inside = of
        .iter()
        .filter(|r| (r.predicted_tok_s / r.measured_tok_s - 1.0).abs() <= 0.10)
        .count();
    Some(format!(
        "{name}: {inside} of {} rows ({:.0}%) within ±10%",
        of.len(),
        100.0 * inside as f64 / of.len() as f64
    ))
}

impl Chart for CalibrationChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let rows: Vec<&ValidationRow> = self.rows.iter().filter(|r| usable(r)).collect();
        let (lo, hi) = log_range(
            rows.iter()
                .flat_map(|r| [r.measured_tok_s, r.predicted_tok_s]),
            1.3,
        )
        .unwrap_or((0.1, 1e4));
        let axis = |desc| LogAxis {
            lo,
            hi,
            ticks: log_ticks(lo, hi),
            desc,
            label: &|v| num(*v),
        };
        let mut chart = log_log_chart(
            root,
            self.title,
            axis("measured (tok/s, log scale)"),
            axis("predicted (tok/s, log scale)"),
        )?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                vec![
                    (lo, lo * 0.9),
                    (hi, hi * 0.9),
                    (hi, hi * 1.1),
                    (lo, lo * 1.1),
                ],
                style::INK.mix(0.25).filled(),
            )))?
            .label("±10% band")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 7), (x + 18, y + 7)], style::INK.mix(0.25).filled())
            });
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(lo, lo), (hi, hi)],
                BLACK.stroke_width(2),
            )))?
            .label("predicted = measured")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(2)));
        let mut backends: Vec<&str> = rows.iter().map(|r| r.backend.as_str()).collect();
        backends.sort_unstable();
        backends.dedup();
        for (i, b) in backends.iter().enumerate() {
            let col = style::color(i);
            let of = || rows.iter().filter(move |r| r.backend == *b);
            chart.draw_series(of().filter(|r| r.test == Test::Pp).map(|r| {
                TriangleMarker::new(
                    (r.measured_tok_s, r.predicted_tok_s),
                    5,
                    col.mix(0.7).filled(),
                )
            }))?;
            chart
                .draw_series(of().filter(|r| r.test == Test::Tg).map(|r| {
                    Circle::new(
                        (r.measured_tok_s, r.predicted_tok_s),
                        4,
                        col.mix(0.7).filled(),
                    )
                }))?
                .label(*b)
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 18, y + 7)], col.filled()));
        }
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("● decode   ▲ prefill")
            .legend(|(x, y)| EmptyElement::at((x, y)));
        style::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        let notes = [
            band_share(self.rows, Test::Tg, "decode"),
            band_share(self.rows, Test::Pp, "prefill"),
        ];
        let area = chart.plotting_area().get_base_pixel();
        for (i, n) in notes.iter().flatten().enumerate() {
            root.draw(&Text::new(
                n.clone(),
                (area.0 + 14, area.1 + 12 + 26 * i as i32),
                font(style::LEGEND).color(&style::INK),
            ))?;
        }
        Ok(())
    }
}
