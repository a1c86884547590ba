//! Text on bitmaps, drawn glyph by glyph at its pen position.
//!
//! plotters 0.3.7 draws each `ab_glyph` outline from the left edge of its ink box instead of
//! the pen position plus the glyph's left side bearing, so a narrow glyph such as `1` sits
//! too far left and leaves a gap after it (`a1 00`), and it puts the baseline half a font
//! size below the top of a layout box that is `size / 1.24` tall, so text rides high.
//! [`CrispText`] wraps a backend and draws text itself: the same advances and kerning
//! plotters uses to measure (so anchors and legends line up), each outline placed at the
//! pen, and the baseline put where capitals are centred in the layout box. Everything
//! else is passed through.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// A backend whose text is drawn with `font` (every family), glyphs at their pen position.
pub(crate) struct CrispText<B> {
    inner: B,
    font: FontRef<'static>,
}

impl<B> CrispText<B> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: B, font: FontRef<'static>) -> Self {
        CrispText { inner, font }
    }
}

impl<B: DrawingBackend> DrawingBackend for CrispText<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // The box plotters measured (and placed legends and labels by).
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let scaled = self.font.as_scaled(PxScale::from(style.size() as f32));
        let cap = self
            .font
            .outline_glyph(scaled.scaled_glyph('H'))
            .map_or(0.7 * style.size() as f32, |o| o.px_bounds().height());
        let baseline = (height as f32 + cap) / 2.0;
        let trans = style.transform();
        let (w, h) = self.inner.get_size();
        let mut pen = 0.0f32;
        let mut prev = None;
        let mut result = Ok(());
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scaled.scale(), point(pen, baseline));
            if let Some(outline) = self.font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                let inner = &mut self.inner;
                outline.draw(|x, y, coverage| {
                    let (gx, gy) = (b.min.x as i32 + x as i32, b.min.y as i32 + y as i32);
                    let (tx, ty) = trans.transform(gx + dx - min_x, gy + dy - min_y);
                    let (px, py) = (pos.0 + tx, pos.1 + ty);
                    if result.is_ok() && px >= 0 && py >= 0 && px < w as i32 && py < h as i32 {
                        result = inner.draw_pixel(
                            (px, py),
                            BackendColor {
                                alpha: color.alpha * f64::from(coverage.clamp(0.0, 1.0)),
                                rgb: color.rgb,
                            },
                        );
                    }
                });
            }
            pen += scaled.h_advance(id);
            prev = Some(id);
        }
        result
    }
}
