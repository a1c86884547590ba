//! The human table (comfy-table), with the title above and notes below.

use super::Output;
use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

/// Renders the human view as a table.
pub fn render(o: &Output) -> String {
    let mut s = String::new();
    if let Some(t) = &o.title {
        s.push_str(t);
        s.push('\n');
    }
    if !o.view.headers.is_empty() {
        let mut t = Table::new();
        t.load_style(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Disabled);
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
        s.push_str(&t.to_string());
        s.push('\n');
    }
    for n in &o.notes {
        s.push_str(n);
        s.push('\n');
    }
    s
}
