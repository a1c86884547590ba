//! The `tokenfit` binary: parse arguments, call the library, render, map errors to exit
//! codes (0 ok, 1 a check failed, 2 usage/input/I/O error; a broken pipe exits 0).

mod cli;
mod cmd_breakeven;
mod cmd_calibrate;
mod cmd_capacity;
mod cmd_check;
mod cmd_detect;
mod cmd_import;
mod cmd_lists;
mod cmd_multi;
mod cmd_plot;
mod cmd_power;
mod cmd_scan;
mod cmd_sweep;
mod cmd_trace_models;
mod commands;

use anyhow::{Context, Result};
use clap::Parser;
use cli::Cli;
use std::io::Write;
use std::process::ExitCode;
use tokenfit::db::Db;
use tokenfit::report::{Format, Output};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let format = Format::parse(&cli.format).with_context(|| {
        format!(
            "unknown --format '{}'; expected table, csv, json or markdown",
            cli.format
        )
    })?;
    let mut db = Db::load(cli.db.as_deref()).context("loading the databases")?;
    if let Some(dir) = tokenfit::calib::local::config_dir() {
        // The saved machine `this` (`detect --save`) first: a local calibration may refit it.
        let saved = dir.join(tokenfit::machine::saved::SAVED_FILE);
        db.merge_saved_machine(&saved)
            .with_context(|| format!("loading the saved machine {}", saved.display()))?;
        let local = dir.join(tokenfit::calib::local::LOCAL_FILE);
        db.merge_local_calibration(&local)
            .with_context(|| format!("loading the local calibration {}", local.display()))?;
    }
    let command = match cli.command {
        // A chart, not a text result: -o names the image.
        cli::Command::Plot(p) => return cmd_plot::plot_cmd(&db, p, cli.output.as_deref()),
        // Rows written as they come.
        cli::Command::Sweep(a) => {
            cmd_sweep::sweep_cmd(&db, a, format, cli.output.as_deref())?;
            return Ok(ExitCode::SUCCESS);
        }
        c => c,
    };
    let (out, code) = commands::dispatch(&db, command)?;
    emit(&out, format, cli.output.as_deref())?;
    Ok(code)
}

/// Prints the warnings on stderr and writes the rendered output to `path` or stdout.
fn emit(out: &Output, format: Format, path: Option<&std::path::Path>) -> Result<()> {
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    let text = out.render(format);
    match path {
        Some(p) => {
            let mut f = tokenfit::report::file::OutputFile::create(p)
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
