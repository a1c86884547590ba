//! Markdown: the human view as a pipe table, title as a heading, notes as paragraphs.

use super::{Cell, Output};

fn esc(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Renders the human view as Markdown.
pub fn render(o: &Output) -> String {
    let mut s = String::new();
    if let Some(t) = &o.title {
        s.push_str(&format!("### {}\n\n", esc(t)));
    }
    if !o.view.headers.is_empty() {
        s.push_str(&format!(
            "| {} |\n",
            o.view
                .headers
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        let align: Vec<&str> = o
            .view
            .headers
            .iter()
            .enumerate()
            .map(|(i, _)| {
                if o.view
                    .rows
                    .first()
                    .is_some_and(|r| matches!(r.get(i), Some(Cell::Num(..))))
                {
                    "---:"
                } else {
                    "---"
                }
            })
            .collect();
        s.push_str(&format!("| {} |\n", align.join(" | ")));
        for r in &o.view.rows {
            s.push_str(&format!(
                "| {} |\n",
                r.iter()
                    .map(|c| esc(&c.show()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
    }
    for n in &o.notes {
        s.push('\n');
        s.push_str(n);
        s.push('\n');
    }
    s
}
