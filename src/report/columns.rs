//! Column sets of the human tables: every table column has a key (what `--columns` names),
//! a header (with its unit) and the sets it belongs to — the compact default that fits an
//! 80-column screen, and `--wide` (every column of the full view).

use super::{Cell, View};
use crate::error::{Error, Result};

/// Which sets a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    /// The compact default only (a shorter form of wide columns).
    Compact,
    /// `--wide` only.
    Wide,
    /// Both.
    Both,
}

/// One column of a table over rows of type `R`.
#[derive(Debug)]
pub struct Col<R> {
    /// What `--columns` names it by.
    pub key: &'static str,
    /// Its header, unit included.
    pub header: &'static str,
    /// The sets it is in.
    pub set: Set,
    /// Its cell for a row (the row's 0-based rank, the row).
    pub cell: fn(usize, &R) -> Cell,
}

impl<R> Col<R> {
    /// The `#` column: the row's 1-based rank, in every set.
    pub fn rank() -> Col<R> {
        Col {
            key: "rank",
            header: "#",
            set: Set::Both,
            cell: |n, _| Cell::Num((n + 1) as f64, 0),
        }
    }
}

/// The columns asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Columns {
    /// The compact default.
    #[default]
    Compact,
    /// Every column.
    Wide,
    /// These keys, in this order (repeats merged).
    Only(Vec<String>),
}

impl Columns {
    /// `--wide` and `--columns LIST` (comma-separated keys); `--columns` wins.
    pub fn from_flags(wide: bool, list: Option<&str>) -> Columns {
        match list {
            Some(l) => Columns::Only(
                l.split(',')
                    .map(|k| k.trim().to_ascii_lowercase())
                    .filter(|k| !k.is_empty())
                    .collect(),
            ),
            None if wide => Columns::Wide,
            None => Columns::Compact,
        }
    }
}

/// The keys of a table's columns, comma-separated (for messages and help).
pub fn keys<R>(cols: &[Col<R>]) -> String {
    cols.iter().map(|c| c.key).collect::<Vec<_>>().join(", ")
}

/// The indices of the columns chosen, in order.
fn chosen<R>(cols: &[Col<R>], choice: &Columns, table: &str) -> Result<Vec<usize>> {
    match choice {
        Columns::Compact => Ok((0..cols.len())
            .filter(|&i| cols[i].set != Set::Wide)
            .collect()),
        Columns::Wide => Ok((0..cols.len())
            .filter(|&i| cols[i].set != Set::Compact)
            .collect()),
        Columns::Only(list) => {
            let mut out: Vec<usize> = Vec::new();
            for k in list {
                let i = cols.iter().position(|c| c.key == k).ok_or_else(|| {
                    Error::Input(format!(
                        "unknown column '{k}' for {table}; choose from: {}",
                        keys(cols)
                    ))
                })?;
                if !out.contains(&i) {
                    out.push(i);
                }
            }
            if out.is_empty() {
                return Err(Error::Input(format!(
                    "--columns is empty; choose from: {}",
                    keys(cols)
                )));
            }
            Ok(out)
        }
    }
}

/// The view of `rows` with the columns chosen; `table` names the table in messages.
pub fn view<'r, R: 'r>(
    cols: &[Col<R>],
    choice: &Columns,
    table: &str,
    rows: impl IntoIterator<Item = &'r R>,
) -> Result<View> {
    let idx = chosen(cols, choice, table)?;
    Ok(View {
        headers: idx.iter().map(|&i| cols[i].header.to_string()).collect(),
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(n, r)| idx.iter().map(|&i| (cols[i].cell)(n, r)).collect())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[Col<u32>] = &[
        Col {
            key: "a",
            header: "A",
            set: Set::Both,
            cell: |_, r| Cell::Num(f64::from(*r), 0),
        },
        Col {
            key: "b",
            header: "B short",
            set: Set::Compact,
            cell: |n, _| Cell::Num(n as f64, 0),
        },
        Col {
            key: "c",
            header: "C",
            set: Set::Wide,
            cell: |_, _| Cell::Empty,
        },
    ];

    #[test]
    fn sets_and_lists_choose_columns() {
        let rows = [7u32, 8];
        let v = view(COLS, &Columns::Compact, "t", &rows).unwrap();
        assert_eq!(v.headers, ["A", "B short"]);
        assert_eq!(v.rows[1], [Cell::Num(8.0, 0), Cell::Num(1.0, 0)]);
        let v = view(COLS, &Columns::Wide, "t", &rows).unwrap();
        assert_eq!(v.headers, ["A", "C"]);
        let only = Columns::from_flags(true, Some("c, A ,c"));
        let v = view(COLS, &only, "t", &rows).unwrap();
        assert_eq!(v.headers, ["C", "A"], "repeats merged, --columns wins");
    }

    #[test]
    fn unknown_or_empty_lists_name_the_choices() {
        let e = view(COLS, &Columns::from_flags(false, Some("z")), "t", &[1u32]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown column 'z' for t; choose from: a, b, c"
        );
        let e = view(COLS, &Columns::from_flags(false, Some(" , ")), "t", &[1u32]).unwrap_err();
        assert!(e.to_string().contains("--columns is empty"), "{e}");
    }
}
