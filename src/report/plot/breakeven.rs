//! Chart 4, break-even: cumulative cost over the months after purchase, local (the purchase
//! up front, then electricity each month) against the API at the same monthly volume, with
//! the crossing `m* = P / (A − E)` marked — the month the machine has paid for itself.
//! The chart takes plain numbers, so any source of costs can draw it.

use super::style::{self, font, num};
use super::{render, Chart};
use crate::error::{Error, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// One machine against one API, costs per month at one volume.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakevenSeries {
    /// Legend name (the device).
    pub label: String,
    /// Purchase price, USD, paid in month 0.
    pub purchase_usd: f64,
    /// Running cost of the machine (electricity) per month, USD.
    pub running_usd_per_month: f64,
    /// What the API charges per month for the same tokens, USD.
    pub api_usd_per_month: f64,
}

impl BreakevenSeries {
    /// Months after which the cumulative costs cross: `P / (A − E)` (None when the API is
    /// not dearer per month than running the machine).
    pub fn crossing_months(&self) -> Option<f64> {
        let margin = self.api_usd_per_month - self.running_usd_per_month;
        (margin > 0.0).then(|| self.purchase_usd / margin)
    }

    fn local_at(&self, m: f64) -> f64 {
        self.purchase_usd + self.running_usd_per_month * m
    }
}

/// Draws cumulative local and API costs over `months` for each series to `path`, with the
/// period the purchase is amortized over marked when given.
pub fn breakeven_chart(
    series: &[BreakevenSeries],
    months: f64,
    amortization_months: Option<f64>,
    title: &str,
    path: &Path,
) -> Result<()> {
    if series.is_empty() {
        return Err(Error::Input("nothing to plot: no machine".into()));
    }
    if !(months.is_finite() && months > 0.0) {
        return Err(Error::Input(format!(
            "the break-even chart needs a positive number of months, got {months}"
        )));
    }
    let finite = |s: &BreakevenSeries| {
        [s.purchase_usd, s.running_usd_per_month, s.api_usd_per_month]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0)
    };
    if let Some(bad) = series.iter().find(|s| !finite(s)) {
        return Err(Error::Input(format!(
            "break-even chart: costs of '{}' must be zero or positive numbers",
            bad.label
        )));
    }
    render(
        path,
        &BreakevenChart {
            series,
            months,
            amortization_months: amortization_months.filter(|m| m.is_finite() && *m > 0.0),
            title,
        },
    )
}

struct BreakevenChart<'a> {
    series: &'a [BreakevenSeries],
    months: f64,
    amortization_months: Option<f64>,
    title: &'a str,
}

fn usd(v: f64) -> String {
    format!("${}", num(v))
}

impl Chart for BreakevenChart<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let m = self.months;
        let y_hi = self
            .series
            .iter()
            .flat_map(|s| [s.local_at(m), s.api_usd_per_month * m])
            .fold(1.0f64, f64::max)
            * 1.08;
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, font(style::TITLE))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..m, 0.0..y_hi)?;
        chart
            .configure_mesh()
            .x_desc("months since purchase")
            .y_desc("cumulative cost (USD)")
            .axis_desc_style(font(style::AXIS_DESC))
            .label_style(font(style::LABEL))
            .x_label_formatter(&|v| num(*v))
            .y_label_formatter(&|v| usd(*v))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.12))
            .draw()?;
        if let Some(a) = self.amortization_months.filter(|a| *a <= m) {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(a, 0.0), (a, y_hi)],
                4,
                4,
                style::INK.mix(0.6).stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("amortized over {} months", num(a)),
                (a + 0.01 * m, y_hi * 0.99),
                font(style::LEGEND)
                    .color(&style::INK)
                    .pos(Pos::new(HPos::Left, VPos::Top)),
            )))?;
        }
        let mut apis: Vec<f64> = self.series.iter().map(|s| s.api_usd_per_month).collect();
        apis.sort_by(f64::total_cmp);
        apis.dedup();
        let shared_api = apis.len() == 1;
        if shared_api {
            let a = apis[0];
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(0.0, 0.0), (m, a * m)],
                    10,
                    6,
                    BLACK.stroke_width(3),
                )))?
                .label(format!("API ({}/month)", usd(a)))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3))
                });
        }
        for (i, s) in self.series.iter().enumerate() {
            let label_point = self.series.len() == 1;
            draw_machine(
                &mut chart,
                s,
                style::color(i),
                (shared_api, label_point),
                (m, y_hi),
            )?;
        }
        style::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}

type CostChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn draw_machine<DB: DrawingBackend>(
    chart: &mut CostChart<'_, DB>,
    s: &BreakevenSeries,
    col: RGBColor,
    (shared_api, label_point): (bool, bool),
    (m, y_hi): (f64, f64),
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if !shared_api {
        let a = s.api_usd_per_month;
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(0.0, 0.0), (m, a * m)],
                10,
                6,
                col.stroke_width(2),
            )))?
            .label(format!("API at {}'s volume ({}/month)", s.label, usd(a)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], col.stroke_width(2)));
    }
    let crossing = s.crossing_months();
    let note = match crossing {
        Some(c) if c <= m => format!("pays for itself after {c:.1} months"),
        Some(c) => format!("crosses after {c:.0} months, beyond the chart"),
        None => "never: the API costs less a month than the electricity".into(),
    };
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, s.purchase_usd), (m, s.local_at(m))],
            col.stroke_width(3),
        )))?
        .label(format!(
            "{}: {} + {}/month electricity — {note}",
            s.label,
            usd(s.purchase_usd),
            usd(s.running_usd_per_month)
        ))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], col.stroke_width(3)));
    if let Some(c) = crossing.filter(|c| *c <= m) {
        let y = s.local_at(c);
        chart.draw_series(std::iter::once(Circle::new((c, y), 8, col.filled())))?;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(c, 0.0), (c, y)],
            6,
            5,
            col.stroke_width(1),
        )))?;
        if !label_point {
            // Several machines: the legend says when each pays for itself.
            return Ok(());
        }
        // Below and beside the point, where neither line runs (the API line is above the
        // local one after the crossing, below it before).
        let right = c < 0.7 * m;
        let (dx, h) = if right {
            (0.012 * m, HPos::Left)
        } else {
            (-0.012 * m, HPos::Right)
        };
        let dy = 0.015 * y_hi;
        chart.draw_series(std::iter::once(Text::new(
            format!("break-even: {c:.1} months, {}", usd(y)),
            (c + dx, (y - dy).max(0.0)),
            font(style::LEGEND)
                .color(&style::INK)
                .pos(Pos::new(h, VPos::Top)),
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_is_purchase_over_monthly_margin() {
        // 4499 / (200 − 20) = 24.99 months.
        let s = BreakevenSeries {
            label: "x".into(),
            purchase_usd: 4499.0,
            running_usd_per_month: 20.0,
            api_usd_per_month: 200.0,
        };
        let c = s.crossing_months().unwrap_or(f64::NAN);
        assert!((c - 24.994).abs() < 1e-3, "{c}");
        assert!((s.local_at(c) - 200.0 * c).abs() < 1e-6);
        let never = BreakevenSeries {
            api_usd_per_month: 10.0,
            ..s
        };
        assert!(never.crossing_months().is_none());
    }
}
