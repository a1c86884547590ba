//! The command line: the arguments (clap derive), one file per command, each a thin call
//! into the library, and the dispatch. Only this folder knows clap. Files depend one way:
//! this one on the commands, the commands on `common`, `model_file`, `draw` and `output`
//! (and `plot` on the commands whose charts it draws). `serve` and `mcp` sit above the
//! dispatch: they parse each request as an argument list with [`Cli`] and answer it through
//! [`answer`], so the HTTP API and the MCP tools give the CLI's JSON and the CLI's messages.

mod breakeven;
mod calibrate;
mod capacity;
mod check;
mod cliff;
mod common;
mod detect;
mod draw;
mod fit;
mod import;
mod lists;
mod mcp;
mod model_file;
mod multi;
mod output;
mod plot;
mod power;
mod predict;
mod rank;
mod scan;
mod serve;
mod sweep;
mod trace_models;
mod validate;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tokenfit::db::Db;
use tokenfit::report::Output;

const EXAMPLES: &str = "Examples:
  tokenfit fit llama-3.3-70b --quant q8_0 --ctx 32k
  tokenfit rank --device rtx-4090 --ctx 16k
  tokenfit predict --device rtx-4090 --model llama-3.1-8b --quant q4_k_m \\
    --prompt 4k --gen 256
  tokenfit cliff --device rtx-4090 --model qwen3-32b --quant q4_k_m
  tokenfit sweep --devices rtx-4090,apple-m4-max --models llama-3.1-8b \\
    --quants q4_k_m,q8_0 --ctx 4k,32k
  tokenfit devices --format csv
  tokenfit breakeven --device dgx-spark --api gpt-4o --tokens-per-month 20M
  tokenfit validate --holdout device \\
    calibration/traces/llamacpp_repo_benches_llamabench.csv
  tokenfit plot cliff --model qwen3-32b --quant q4_k_m \\
    --devices rtx-4090,apple-m4-max -o cliff.png
  tokenfit detect --save
  tokenfit scan";

/// Does this model fit on this machine, how fast will it run, where is the cliff?
#[derive(Debug, Parser)]
#[command(name = "tokenfit", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = output::FormatArg::Table)]
    pub format: output::FormatArg,
    /// Write the result to FILE instead of stdout.
    #[arg(short = 'o', long = "output", global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Directory of YAML database files merged over the built-ins by id (also TOKENFIT_DB).
    #[arg(long, global = true, value_name = "DIR", env = "TOKENFIT_DB")]
    pub db: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Rank devices for one model: verdict, memory, largest fast context, speed, price.
    Fit(fit::FitArgs),
    /// Which models run on one device: each at its best quant that fits fast memory and reaches --min-tok-s.
    Rank(rank::RankArgs),
    /// One scenario with its breakdown: bytes per token by tier, bound, tok/s, TTFT.
    Predict(predict::PredictArgs),
    /// What-if table over lists of devices, models, quants, contexts and KV types.
    Sweep(sweep::SweepArgs),
    /// The context where bytes first leave fast memory, and tok/s against context.
    Cliff(cliff::CliffArgs),
    /// Fit efficiencies to measured traces and write them (calibration/fitted.yaml format).
    Calibrate(calibrate::CalibrateArgs),
    /// Predicted against measured on traces, with leave-one-device-out error.
    Validate(validate::ValidateArgs),
    /// Audit a published speed claim: plausible, optimistic or impossible (exit 1 unless plausible).
    Check(check::CheckArgs),
    /// Concurrent streams: the largest batch whose caches fit, aggregate and per-stream decode tok/s, the knee.
    Capacity(capacity::CapacityArgs),
    /// List devices, or show one.
    Devices(common::ShowArgs),
    /// List models, or show one; `models import FILE` prints a GGUF file or config.json as an entry.
    Models(import::ModelsArgs),
    /// List quantization schemes and KV cache types, or show one.
    Quants(common::ShowArgs),
    /// When a local machine pays off against an API priced per token.
    Breakeven(breakeven::BreakevenArgs),
    /// List API offerings and their prices per 1M tokens, or show one.
    Apis(common::ShowArgs),
    /// Draw a chart to -o FILE.svg|FILE.png: cliff, fit, calibration, breakeven, roofline, power.
    Plot(plot::PlotArgs),
    /// This machine: CPU, RAM, GPUs (matched to the database) and measured memory bandwidth; --save keeps it as the device `this`.
    Detect(detect::DetectArgs),
    /// Find the GGUF files on this machine and rank them for `this` (or --device): verdict, context that fits, speed.
    Scan(scan::ScanArgs),
    /// Speed, power drawn and J/token over a board's power limits; the plateau where watts stop buying speed.
    Power(power::PowerArgs),
    /// A local web page and HTTP API on the same answers (binds 127.0.0.1 unless --host says otherwise).
    Serve(serve::ServeArgs),
    /// An MCP server over standard input/output: fit, predict, rank, cliff, breakeven and check as tools.
    Mcp(mcp::McpArgs),
}

/// Loads the databases (with the saved machine and the local calibration) and runs the command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let format = cli.format.into();
    let db = load_db(cli.db.as_deref())?;
    let path = cli.output.as_deref();
    let (out, code): (Output, ExitCode) = match cli.command {
        // A chart, not a text result: -o names the image.
        Command::Plot(p) => return plot::plot_cmd(&db, p, path),
        // Rows written as they come.
        Command::Sweep(a) => {
            sweep::sweep_cmd(&db, a, format, path)?;
            return Ok(ExitCode::SUCCESS);
        }
        // Servers: they answer requests until stopped.
        Command::Serve(a) => return serve::serve_cmd(db, a),
        Command::Mcp(a) => return mcp::mcp_cmd(db, a),
        c => answer(&db, c)?,
    };
    output::emit(&out, format, path)?;
    Ok(code)
}

/// The built-in databases merged with `--db DIR`, the saved machine `this` and the local
/// calibration.
pub(crate) fn load_db(dir: Option<&std::path::Path>) -> Result<Db> {
    let mut db = Db::load(dir).context("loading the databases")?;
    if let Some(dir) = tokenfit::calib::local::config_dir() {
        // The saved machine `this` (`detect --save`) first: a local calibration may refit it.
        let saved = dir.join(tokenfit::machine::saved::SAVED_FILE);
        db.merge_saved_machine(&saved)
            .with_context(|| format!("loading the saved machine {}", saved.display()))?;
        let local = dir.join(tokenfit::calib::local::LOCAL_FILE);
        db.merge_local_calibration(&local)
            .with_context(|| format!("loading the local calibration {}", local.display()))?;
    }
    Ok(db)
}

/// A command whose whole output is built before it is written, with its exit code (`check`
/// exits 1 unless the claim is plausible).
pub(crate) fn answer(db: &Db, c: Command) -> Result<(Output<'_>, ExitCode)> {
    match c {
        Command::Check(a) => check::check_cmd(db, a),
        c => Ok((text_command(db, c)?, ExitCode::SUCCESS)),
    }
}

/// The commands whose whole output is built before it is written.
fn text_command(db: &Db, c: Command) -> Result<Output<'_>> {
    Ok(match c {
        Command::Fit(a) => fit::fit_cmd(db, a)?,
        Command::Capacity(a) => capacity::capacity_cmd(db, a)?,
        Command::Predict(a) => predict::predict_cmd(db, a)?,
        Command::Rank(a) => rank::rank_cmd(db, a)?,
        Command::Cliff(a) => cliff::cliff_cmd(db, a)?,
        Command::Calibrate(a) => calibrate::calibrate_cmd(db, a)?,
        Command::Validate(a) => validate::validate_cmd(db, a)?,
        Command::Devices(a) => lists::devices_cmd(db, a)?,
        Command::Models(a) => match a.action {
            Some(import::ModelsAction::Import(i)) => import::import_cmd(db, i)?,
            None => lists::models_cmd(db, common::ShowArgs { id: a.id })?,
        },
        Command::Quants(a) => lists::quants_cmd(db, a)?,
        Command::Breakeven(a) => breakeven::breakeven_cmd(db, a)?,
        Command::Apis(a) => lists::apis_cmd(db, a)?,
        Command::Detect(a) => detect::detect_cmd(db, a)?,
        Command::Scan(a) => scan::scan_cmd(db, a)?,
        Command::Power(a) => power::power_cmd(db, a)?,
        Command::Plot(_)
        | Command::Sweep(_)
        | Command::Check(_)
        | Command::Serve(_)
        | Command::Mcp(_) => {
            unreachable!("run() handles plot, sweep, serve and mcp; answer() handles check")
        }
    })
}
