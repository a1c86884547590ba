//! The `tokenfit` binary: parse arguments, call the library, render, map errors to exit
//! codes (0 ok, 1 a check failed, 2 usage/input/I/O error; a broken pipe exits 0).

mod cli;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Negative numbers reach the value parsers (`--ctx -1` gets their message, not clap's
    // "unexpected argument").
    let matches = negative_numbers(cli::Cli::command()).get_matches();
    let args = match cli::Cli::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    match cli::run(args) {
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

/// Lets every command and subcommand take negative numbers as values.
fn negative_numbers(c: clap::Command) -> clap::Command {
    c.allow_negative_numbers(true)
        .mut_subcommands(negative_numbers)
}
