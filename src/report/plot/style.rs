//! What every chart shares: the palette (Okabe–Ito, readable by colour-blind eyes, then
//! Tableau's extras), font sizes for 1200×800, log-axis ticks on a 1–2–5 grid, number labels.

use crate::model::Verdict;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;

/// One log axis of a chart: its range, the ticks to label, its description and how a tick
/// value reads.
pub struct LogAxis<'a> {
    /// Low end.
    pub lo: f64,
    /// High end.
    pub hi: f64,
    /// Labelled ticks.
    pub ticks: Vec<f64>,
    /// Axis description.
    pub desc: &'a str,
    /// Tick label of a value.
    pub label: &'a dyn Fn(&f64) -> String,
}

/// Draws `chart`'s legend in the house style (legend font, a translucent white box with a
/// faint border) at `pos`.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    pos: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(pos)
        .label_font(font(LEGEND))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
}

/// A log–log plotting area.
pub type LogLog = Cartesian2d<WithKeyPoints<LogCoord<f64>>, WithKeyPoints<LogCoord<f64>>>;

/// A log–log chart in the house frame (title, margins, labelled ticks, axis descriptions, a
/// faint grid), mesh drawn, ready for series.
pub fn log_log_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: LogAxis,
    y: LogAxis,
) -> Result<ChartContext<'a, DB, LogLog>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, font(TITLE))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(
            (x.lo..x.hi).log_scale().with_key_points(x.ticks),
            (y.lo..y.hi).log_scale().with_key_points(y.ticks),
        )?;
    chart
        .configure_mesh()
        .x_desc(x.desc)
        .y_desc(y.desc)
        .axis_desc_style(font(AXIS_DESC))
        .label_style(font(LABEL))
        .x_label_formatter(x.label)
        .y_label_formatter(y.label)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    Ok(chart)
}

/// Series colours, in order.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
];

/// The i-th series colour (cycling).
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Verdict colours: fits, spills to host, does not fit.
pub const FITS: RGBColor = RGBColor(0, 158, 115);
/// Spills to the host tier.
pub const SPILLS: RGBColor = RGBColor(230, 159, 0);
/// Does not fit at all.
pub const DOES_NOT_FIT: RGBColor = RGBColor(213, 94, 0);
/// Annotations and reference lines.
pub const INK: RGBColor = RGBColor(60, 60, 60);

/// The colour of a memory verdict.
pub fn verdict_color(v: Verdict) -> RGBColor {
    match v {
        Verdict::Fits => FITS,
        Verdict::Spills => SPILLS,
        Verdict::DoesNotFit => DOES_NOT_FIT,
    }
}

/// Title font size, pixels.
pub const TITLE: u32 = 30;
/// Axis description font size.
pub const AXIS_DESC: u32 = 22;
/// Tick label font size.
pub const LABEL: u32 = 18;
/// Legend and annotation font size.
pub const LEGEND: u32 = 18;

/// The font of a size.
pub fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().into()
}

/// Ticks on a 1–2–5 grid covering `[lo, hi]` (both positive), at most ~12; when the range
/// is narrower than one step of the grid, its ends are used.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && lo.is_finite() && hi.is_finite()) {
        return vec![lo, hi];
    }
    let grids: [&[f64]; 3] = [&[1.0, 2.0, 5.0], &[1.0, 3.0], &[1.0]];
    let start = lo.log10().floor() as i32;
    let end = hi.log10().ceil() as i32;
    let mut best = vec![lo, hi];
    for mantissas in grids {
        let ticks: Vec<f64> = (start..=end)
            .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|t| *t >= lo * (1.0 - 1e-9) && *t <= hi * (1.0 + 1e-9))
            .collect();
        if ticks.len() >= 2 {
            best = ticks;
        }
        if best.len() <= 12 && best.len() >= 2 && best != vec![lo, hi] {
            return best;
        }
    }
    best
}

/// A number for an axis label: `0.5`, `12`, `1.5k`, `20M`, `3G`.
pub fn num(v: f64) -> String {
    let (x, unit) = match v.abs() {
        a if a >= 1e12 => (v / 1e12, "T"),
        a if a >= 1e9 => (v / 1e9, "G"),
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e4 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let s = if x.abs() >= 100.0 || x == x.round() {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.1}")
    } else {
        // Two significant digits below 1: 0.05, 0.0012.
        let d = ((-x.abs().log10()).ceil() as usize + 1).min(12);
        format!("{x:.d$}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{unit}")
}

/// The range `[lo, hi]` widened by a factor on each side of a log axis (data-driven, never
/// empty).
pub fn log_range(values: impl IntoIterator<Item = f64>, pad: f64) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    let (lo, hi) = if hi / lo < 1.5 {
        (lo / 1.5, hi * 1.5)
    } else {
        (lo, hi)
    };
    Some((lo / pad, hi * pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_follow_a_1_2_5_grid() {
        assert_eq!(
            log_ticks(1.0, 100.0),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        );
        // 0.8–1e5 spans six decades: 1–2–5 gives 16 ticks, 1–3 gives 11.
        assert_eq!(log_ticks(0.8, 1e5).len(), 11);
        assert_eq!(log_ticks(3.5, 4.5), vec![3.5, 4.5]);
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(0.05), "0.05");
        assert_eq!(num(0.0012), "0.0012");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(2500.0), "2500");
        assert_eq!(num(15_000.0), "15k");
        assert_eq!(num(2.0e7), "20M");
        assert_eq!(num(1.5e12), "1.5T");
    }

    #[test]
    fn log_range_pads_and_skips_non_positive() {
        let (lo, hi) = log_range([0.0, 2.0, 8.0, f64::NAN], 2.0).unwrap_or((0.0, 0.0));
        assert_eq!((lo, hi), (1.0, 16.0));
        assert!(log_range([0.0, -1.0], 2.0).is_none());
    }
}
