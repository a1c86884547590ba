//! The human table (comfy-table), with the title above and notes below. Columns are set
//! apart by two spaces under a ruled header, without vertical borders, so that a compact
//! view fits an 80-column screen. Given a width, cells wrap to fit it: short columns
//! (numbers, verdicts) keep their cells on one line and the long text columns wrap.

use super::Output;
use comfy_table::{
    CellAlignment, ColumnConstraint, ContentArrangement, ContentLineStyle, LineStyle, Table,
    TableStyle, Width,
};

/// No vertical lines; a rule under the header.
const STYLE: TableStyle = TableStyle::new()
    .header_lines(ContentLineStyle::none().junction(' '))
    .header_separator(LineStyle::none().fill('─').junction(' '))
    .content_lines(ContentLineStyle::none().junction(' '));

/// Widest cell of a column that is never wrapped when a width is given.
const UNWRAPPED_MAX: usize = 16;

/// Narrowest a wrapped text column may become.
const WRAPPED_MIN: usize = 10;

/// Renders the human view as a table, wrapping cells to fit `width` columns when given
/// (else each row on one line, however long).
pub fn render(o: &Output, width: Option<u16>) -> String {
    let mut s = String::new();
    if let Some(t) = &o.title {
        s.push_str(t);
        s.push('\n');
    }
    if !o.view.headers.is_empty() {
        let mut t = Table::new();
        t.load_style(STYLE);
        t.set_header(o.view.headers.clone());
        for r in &o.view.rows {
            t.add_row(r.iter().map(|c| {
                let cell = comfy_table::Cell::new(c.show());
                if matches!(c, super::Cell::Num(..)) {
                    cell.set_alignment(CellAlignment::Right)
                } else {
                    cell
                }
            }));
        }
        for c in t.column_iter_mut() {
            c.set_padding((0, 1));
        }
        let widest: Vec<usize> = (0..o.view.headers.len())
            .map(|i| {
                o.view
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.show().chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        // Each column's narrowest: its widest cell when short, else a wrapped text column.
        let narrowest: usize = widest
            .iter()
            .map(|&w| w.min(UNWRAPPED_MAX.max(WRAPPED_MIN)) + 2)
            .sum();
        match width {
            // Wrap only when the short columns fit: else every row on one line.
            Some(w) if narrowest <= usize::from(w) => {
                t.set_content_arrangement(ContentArrangement::Dynamic);
                t.set_width(w);
                for (c, &widest) in t.column_iter_mut().zip(&widest) {
                    if widest <= UNWRAPPED_MAX {
                        c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
                            widest as u16 + 1,
                        )));
                    }
                }
            }
            _ => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        for line in t.lines() {
            s.push_str(line.trim_end());
            s.push('\n');
        }
    }
    for n in &o.notes {
        s.push_str(n);
        s.push('\n');
    }
    s
}
