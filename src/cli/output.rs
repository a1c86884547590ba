//! Writing a command's output: warnings on stderr, the rendered result to `-o FILE` or stdout.

use anyhow::{Context, Result};
use std::io::Write;
use tokenfit::report::{Format, Output};

/// Prints the warnings on stderr and writes the rendered output to `path` or stdout.
pub fn emit(out: &Output, format: Format, path: Option<&std::path::Path>) -> Result<()> {
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    let text = out.render_width(format, table_width(path));
    match path {
        Some(p) => {
            // Every error of the file names the user's path.
            let write = || -> std::io::Result<()> {
                let mut f = tokenfit::file::OutputFile::create(p)?;
                f.write_all(text.as_bytes())?;
                f.commit()
            };
            write().context("writing the output")?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// The width a table wraps to on standard output: `COLUMNS` when set, else the terminal's
/// when standard output is one; none (rows on one line) in a pipe or a file.
pub fn table_width(path: Option<&std::path::Path>) -> Option<u16> {
    use std::io::IsTerminal;
    if path.is_some() {
        return None;
    }
    let columns = std::env::var("COLUMNS").ok();
    if let Some(c) = columns.and_then(|c| c.trim().parse::<u16>().ok()) {
        return Some(c.max(20));
    }
    if std::io::stdout().is_terminal() {
        comfy_table::Table::new().width()
    } else {
        None
    }
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

/// A progress bar on standard error for `total` units of long work: drawn only when
/// standard error is a terminal (indicatif hides it otherwise: never in pipes or files) and
/// there are at least `min` units (less would flash and vanish).
pub fn progress(total: u64, min: u64, unit: &str) -> indicatif::ProgressBar {
    if total < min {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:40}} {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, {{eta}} left)"
    ));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}

/// A spinner on standard error with a message, for work of unknown length (hidden unless
/// standard error is a terminal).
pub fn spinner(msg: &str) -> indicatif::ProgressBar {
    let s = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg}") {
        s.set_style(style);
    }
    s.set_message(msg.to_string());
    s.enable_steady_tick(std::time::Duration::from_millis(120));
    s
}
