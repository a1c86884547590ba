//! The power chart: decode and prefill tok/s (top, prefill on the right axis) and J per
//! generated token (bottom) against the board's power limit, the plateau and the limit with
//! the fewest joules per token marked.

use super::style::{self, font, num};
use super::{render, Chart};
use crate::advise::power::PowerSweep;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::Path;

/// Draws a power sweep to `path`.
pub fn power_chart(s: &PowerSweep, title: &str, path: &Path) -> Result<()> {
    let ok = |v: Option<f64>| v.is_some_and(|x| x.is_finite() && x > 0.0);
    if s.points.len() < 2 || !s.points.iter().all(|p| ok(p.aggregate_decode_tok_s)) {
        return Err(Error::Input(
            "nothing to plot: the model does not run on this device at every limit".into(),
        ));
    }
    render(path, &PowerChart { s, title })
}

struct PowerChart<'a> {
    s: &'a PowerSweep,
    title: &'a str,
}

fn top(v: impl Iterator<Item = f64>) -> f64 {
    v.filter(|x| x.is_finite()).fold(0.0, f64::max) * 1.12
}

impl Chart for PowerChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let s = self.s;
        let pts = &s.points;
        let (x_lo, x_hi) = (s.board.min_w, s.board.max_w);
        let pad = 0.02 * (x_hi - x_lo).max(1.0);
        let xr = (x_lo - pad)..(x_hi + pad);
        let root = root.titled(self.title, font(style::TITLE))?;
        let (upper, lower) = root.split_vertically(440);
        let dec_hi = top(pts.iter().filter_map(|p| p.aggregate_decode_tok_s));
        let pre_hi = top(pts.iter().filter_map(|p| p.prefill_tok_s)).max(1.0);
        let mut c = ChartBuilder::on(&upper)
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(90)
            .right_y_label_area_size(90)
            .build_cartesian_2d(xr.clone(), 0.0..dec_hi)?
            .set_secondary_coord(xr.clone(), 0.0..pre_hi);
        c.configure_mesh()
            .y_desc("decode tok/s")
            .axis_desc_style(font(style::AXIS_DESC))
            .label_style(font(style::LABEL))
            .x_label_formatter(&|v| num(*v))
            .y_label_formatter(&|v| num(*v))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()?;
        c.configure_secondary_axes()
            .y_desc("prefill tok/s")
            .axis_desc_style(font(style::AXIS_DESC))
            .label_style(font(style::LABEL))
            .y_label_formatter(&|v| num(*v))
            .draw()?;
        let (dc, pc) = (style::color(0), style::color(1));
        let dec: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|p| Some((p.power_limit_w, p.aggregate_decode_tok_s?)))
            .collect();
        let pre: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|p| Some((p.power_limit_w, p.prefill_tok_s?)))
            .collect();
        c.draw_series(LineSeries::new(dec.clone(), dc.stroke_width(3)))?
            .label("decode tok/s (left)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], dc.stroke_width(3)));
        c.draw_series(dec.iter().map(|p| Circle::new(*p, 4, dc.filled())))?;
        c.draw_secondary_series(LineSeries::new(pre.clone(), pc.stroke_width(3)))?
            .label("prefill tok/s (right)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], pc.stroke_width(3)));
        c.draw_secondary_series(pre.iter().map(|p| TriangleMarker::new(*p, 5, pc.filled())))?;
        if let Some(w) = s.plateau_w {
            c.draw_series(std::iter::once(DashedPathElement::new(
                vec![(w, 0.0), (w, dec_hi)],
                6,
                4,
                style::INK.mix(0.7).stroke_width(2),
            )))?;
            c.draw_series(std::iter::once(Text::new(
                format!("plateau {} W: decode within 2% of {} W", num(w), num(x_hi)),
                (w + pad * 0.5, dec_hi * 0.06),
                font(style::LEGEND).color(&style::INK),
            )))?;
        }
        style::legend(&mut c, SeriesLabelPosition::LowerRight)?;
        self.draw_energy(&lower, xr)
    }
}

impl PowerChart<'_> {
    fn draw_energy<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        xr: std::ops::Range<f64>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let s = self.s;
        let e: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|p| Some((p.power_limit_w, p.energy_j_per_token?)))
            .collect();
        let hi = top(e.iter().map(|p| p.1)).max(1e-6);
        let mut c = ChartBuilder::on(area)
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .right_y_label_area_size(90)
            .build_cartesian_2d(xr, 0.0..hi)?;
        c.configure_mesh()
            .x_desc("board power limit (W)")
            .y_desc("J per generated token")
            .axis_desc_style(font(style::AXIS_DESC))
            .label_style(font(style::LABEL))
            .x_label_formatter(&|v| num(*v))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()?;
        let col = style::color(2);
        c.draw_series(LineSeries::new(e.clone(), col.stroke_width(3)))?
            .label("J per generated token (power drawn)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], col.stroke_width(3)));
        c.draw_series(e.iter().map(|p| Circle::new(*p, 4, col.filled())))?;
        for (w, label) in [
            (s.plateau_w, "plateau"),
            (s.best_j_per_token_w, "fewest J/token"),
        ] {
            if let Some(w) = w {
                c.draw_series(std::iter::once(DashedPathElement::new(
                    vec![(w, 0.0), (w, hi)],
                    6,
                    4,
                    style::INK.mix(0.5).stroke_width(2),
                )))?;
                c.draw_series(std::iter::once(Text::new(
                    format!("{label} {} W", num(w)),
                    (w, hi * 0.97),
                    font(style::LEGEND).color(&style::INK),
                )))?;
            }
        }
        style::legend(&mut c, SeriesLabelPosition::LowerRight)
    }
}
