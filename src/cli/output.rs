//! Writing a command's output: warnings on stderr, the rendered result to `-o FILE` or stdout.

use anyhow::{Context, Result};
use std::io::Write;
use tokenfit::report::{Format, Output};

/// Prints the warnings on stderr and writes the rendered output to `path` or stdout.
pub fn emit(out: &Output, format: Format, path: Option<&std::path::Path>) -> Result<()> {
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    let text = out.render(format);
    match path {
        Some(p) => {
            let mut f = tokenfit::file::OutputFile::create(p)
                .with_context(|| format!("writing {}", p.display()))?;
            f.write_all(text.as_bytes())?;
            f.commit()?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// `--format` (variants undocumented so `--help` lists them on one line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
    Jsonl,
    #[value(alias = "md")]
    Markdown,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Markdown => Format::Markdown,
        }
    }
}
