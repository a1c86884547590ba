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

/// Widest text cells kept whole when a width is given: the first that lets the table fit.
const UNWRAPPED: [usize; 2] = [16, 8];

/// Narrowest a wrapped text column may become.
const WRAPPED_MIN: usize = 10;

/// The width to set and each column's narrowest width: the roomiest layout that fits
/// `width` (None: no width given, or even the narrowest does not fit).
fn layout(view: &super::View, width: Option<u16>) -> Option<Layout> {
    // Per column: how narrow it may wrap when text cells up to `unwrapped` characters
    // stay whole (numbers never wrap; longer text wraps down to WRAPPED_MIN).
    let widest = |i: usize| {
        view.rows
            .iter()
            .filter_map(|r| r.get(i))
            .map(|c| c.show().chars().count())
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let narrowest = |unwrapped: usize| -> Vec<usize> {
        (0..view.headers.len())
            .map(|i| {
                let mut cells = view.rows.iter().filter_map(|r| r.get(i));
                let widest = widest(i);
                let numeric = cells.all(|c| !matches!(c, super::Cell::Text(_)));
                // A header wraps between its words, never inside one.
                let word = view.headers.get(i).map_or(0, |h| {
                    h.split_whitespace()
                        .map(|w| w.chars().count())
                        .max()
                        .unwrap_or(0)
                });
                let cells_need = if numeric || widest <= unwrapped {
                    widest
                } else {
                    widest.min(WRAPPED_MIN)
                };
                cells_need.max(word)
            })
            .collect()
    };
    // The roomiest layout that fits: short text whole, then only numbers and very short
    // text whole; else every row on one line.
    let fits = |n: &Vec<usize>| {
        width.is_some_and(|w| n.iter().map(|x| x + 2).sum::<usize>() <= usize::from(w))
    };
    width.and_then(|w| {
        UNWRAPPED
            .iter()
            .map(|&u| narrowest(u))
            .find(&fits)
            .map(|n| (w, n))
    })
}

/// A column layout: the width to set and each column's narrowest width.
type Layout = (u16, Vec<usize>);

/// The view with as few of `droppable` left out (first to last) as lets a layout fit
/// `width`, the headers left out, and that layout (None: no width given, or nothing left to
/// drop and the view still does not fit).
fn fitted<'v>(
    view: &'v super::View,
    droppable: &[&str],
    width: Option<u16>,
) -> (
    std::borrow::Cow<'v, super::View>,
    Vec<String>,
    Option<Layout>,
) {
    let mut v = std::borrow::Cow::Borrowed(view);
    let mut dropped = Vec::new();
    let mut fit = layout(&v, width);
    for name in droppable {
        if width.is_none() || fit.is_some() {
            break;
        }
        if let Some(i) = v.headers.iter().position(|h| h == name) {
            let owned = v.to_mut();
            owned.headers.remove(i);
            for r in &mut owned.rows {
                if i < r.len() {
                    r.remove(i);
                }
            }
            dropped.push((*name).to_string());
            fit = layout(&v, width);
        }
    }
    (v, dropped, fit)
}

/// Renders the human view as a table, wrapping cells to fit `width` columns when given
/// (else each row on one line, however long). A view wider than `width` even wrapped leaves
/// out the output's `drop_to_fit` columns until it fits, and says so under the table.
pub fn render(o: &Output, width: Option<u16>) -> String {
    let (view, dropped, fit) = fitted(&o.view, &o.drop_to_fit, width);
    let mut s = String::new();
    if let Some(t) = &o.title {
        s.push_str(t);
        s.push('\n');
    }
    if !view.headers.is_empty() {
        s.push_str(&table(&view, fit));
    }
    if !dropped.is_empty() {
        s.push_str(&format!(
            "left out to fit {} columns: {} (a wider terminal, --format csv or json shows them)\n",
            width.unwrap_or(0),
            dropped.join(", ")
        ));
    }
    for n in &o.notes {
        s.push_str(n);
        s.push('\n');
    }
    s
}

/// The table of `view`, wrapped to `fit` (else one line per row).
fn table(view: &super::View, fit: Option<Layout>) -> String {
    let mut s = String::new();
    let mut t = Table::new();
    t.load_style(STYLE);
    t.set_header(view.headers.clone());
    for r in &view.rows {
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
    match fit {
        Some((w, narrowest)) => {
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_width(w);
            for (c, &n) in t.column_iter_mut().zip(&narrowest) {
                c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(n as u16 + 1)));
            }
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    for line in t.lines() {
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}
