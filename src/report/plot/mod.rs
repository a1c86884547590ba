//! Charts (plotters): the cliff, the `fit` ranking, calibration, break-even and the
//! roofline, each an SVG or a PNG of [`WIDTH`]×[`HEIGHT`] pixels — the extension of the
//! output path picks the backend.
//!
//! PNG text is drawn with DejaVu Sans compiled into the binary (`assets/fonts/`, Bitstream
//! Vera licence beside it), registered with plotters' `ab_glyph` font table on first use (it
//! measures text) and rasterized by `text` (it draws text), so a machine without system
//! fonts renders the same picture. SVG text stays text (the viewer
//! picks a sans-serif font); the bundled font only measures it for layout.
//!
//! A chart is written beside its target under a temporary name and renamed into place: a
//! failed render never leaves half a file.

mod breakeven;
mod calibration;
mod cliff;
mod fit;
mod power;
mod roofline;
mod style;
mod text;

pub use breakeven::{breakeven_chart, BreakevenSeries};
pub use calibration::calibration_chart;
pub use cliff::cliff_chart;
pub use fit::{fit_chart, FIT_CHART_MAX_ROWS};
pub use power::power_chart;
pub use roofline::{roofline_chart, Roofline, RooflinePoint};

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// Width of every chart, pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart, pixels.
pub const HEIGHT: u32 = 800;

/// DejaVu Sans, shipped under `assets/fonts/` with its licence.
const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The image format of a chart, picked by the extension of its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics (`.svg`).
    Svg,
    /// Portable network graphics (`.png`), [`WIDTH`]×[`HEIGHT`].
    Png,
}

impl ImageFormat {
    /// The format of `path` from its extension (`.svg` or `.png`, any case).
    pub fn from_path(path: &Path) -> Result<ImageFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            other => Err(Error::Input(format!(
                "cannot tell the image format of '{}' ({}); expected a file ending in .svg or .png",
                path.display(),
                other.map_or("no extension".to_string(), |e| format!("extension .{e}")),
            ))),
        }
    }
}

/// Registers the bundled font once; false if it failed to parse (a broken build).
fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    })
}

/// A chart that can be drawn on any plotters backend.
pub(crate) trait Chart {
    /// Draws the whole chart on `root` (already filled white).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

fn draw_on<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    chart: &impl Chart,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    chart.draw(&root).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Renders `chart` to `path` as SVG or PNG (by extension).
pub(crate) fn render(path: &Path, chart: &impl Chart) -> Result<()> {
    let format = ImageFormat::from_path(path)?;
    if !font_ready() {
        return Err(Error::Input(
            "the bundled font (assets/fonts/DejaVuSans.ttf) could not be loaded".into(),
        ));
    }
    let io = |source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    // Refuse a missing directory before drawing (the backends' own error says less).
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no such directory '{}'", dir.display()),
        )));
    }
    crate::file::write_via(path, |tmp| {
        let drawn = match format {
            ImageFormat::Svg => draw_on(
                SVGBackend::new(tmp, (WIDTH, HEIGHT)).into_drawing_area(),
                chart,
            ),
            ImageFormat::Png => match ab_glyph::FontRef::try_from_slice(FONT) {
                Ok(font) => draw_on(
                    text::CrispText::new(BitMapBackend::new(tmp, (WIDTH, HEIGHT)), font)
                        .into_drawing_area(),
                    chart,
                ),
                Err(e) => Err(format!("the bundled font: {e}")),
            },
        };
        drawn.map_err(std::io::Error::other)
    })
    .map_err(|e| {
        // The error names the user's path already.
        Error::Input(format!("writing the chart: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_picks_the_format() {
        assert_eq!(
            ImageFormat::from_path(Path::new("a/b.svg")).ok(),
            Some(ImageFormat::Svg)
        );
        assert_eq!(
            ImageFormat::from_path(Path::new("B.PNG")).ok(),
            Some(ImageFormat::Png)
        );
        let e = ImageFormat::from_path(Path::new("x.jpg"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(".svg") && e.contains(".png") && e.contains("x.jpg"),
            "{e}"
        );
        assert!(ImageFormat::from_path(Path::new("noext")).is_err());
    }

    #[test]
    fn the_bundled_font_parses() {
        assert!(font_ready());
    }
}
