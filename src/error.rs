//! The library's one error type. Messages quote the input, say what was expected and
//! suggest a fix; data errors name the file and the entry.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name that matches no database entry.
    #[error("unknown {kind} '{name}'{}", did_you_mean(.candidates))]
    Unknown {
        /// What was looked up (device, model, quant …).
        kind: &'static str,
        /// The name given.
        name: String,
        /// Close matches.
        candidates: Vec<String>,
    },
    /// A name that matches several entries.
    #[error("{kind} '{name}' is ambiguous: it matches {}", .candidates.join(", "))]
    Ambiguous {
        /// What was looked up.
        kind: &'static str,
        /// The name given.
        name: String,
        /// All entries it matches.
        candidates: Vec<String>,
    },
    /// A database entry that failed validation.
    #[error("{file}: entry '{entry}': field '{field}': {msg}")]
    Db {
        /// The file.
        file: String,
        /// The entry id.
        entry: String,
        /// The offending field.
        field: String,
        /// What is wrong.
        msg: String,
    },
    /// A file that could not be parsed.
    #[error("{file}{}: {msg}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        file: String,
        /// The line, when known.
        line: Option<usize>,
        /// What is wrong.
        msg: String,
    },
    /// Bad input from the user (flag values, scenario combinations).
    #[error("{0}")]
    Input(String),
    /// An I/O failure. The cause is part of the message, not a chained source, so that an
    /// error chain printed in full does not repeat it.
    #[error("{}: {cause}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
}

fn did_you_mean(c: &[String]) -> String {
    if c.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            c.iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;
