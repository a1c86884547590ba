//! The two checks every database file uses: an error that names the file, the entry and the
//! field, and a number that must be positive and not absurd.

use crate::error::{Error, Result};

/// A database error naming the file, the entry and the field.
pub fn err(file: &str, entry: &str, field: &str, msg: impl Into<String>) -> Error {
    Error::Db {
        file: file.into(),
        entry: entry.into(),
        field: field.into(),
        msg: msg.into(),
    }
}

/// A finite number > 0 (and below an absurdity limit).
pub fn positive(file: &str, entry: &str, field: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 && v < 1e9 {
        Ok(())
    } else if v >= 1e9 {
        Err(err(
            file,
            entry,
            field,
            format!("{v:e} is too large (at most 1e9)"),
        ))
    } else {
        Err(err(
            file,
            entry,
            field,
            format!("must be a positive number, got {v}"),
        ))
    }
}

/// An id: lowercase letters, digits and `. _ + -`.
pub fn check_id(file: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(err(
            file,
            id,
            "id",
            "ids are lowercase letters, digits and . _ + -",
        ))
    }
}
