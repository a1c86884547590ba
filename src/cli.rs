//! Command-line definitions (clap derive). Only this file and `main.rs` know clap.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "Examples:
  tokenfit fit llama-3.3-70b --quant q8_0 --ctx 32k
  tokenfit predict --device rtx-4090 --model llama-3.1-8b --quant q4_k_m --prompt 4k --gen 256
  tokenfit cliff --device rtx-4090 --model qwen3-32b --quant q4_k_m
  tokenfit sweep --devices rtx-4090,apple-m4-max --models llama-3.1-8b --quants q4_k_m,q8_0 --ctx 4k,32k
  tokenfit devices --format csv
  tokenfit breakeven --device dgx-spark --api gpt-4o --tokens-per-month 20M
  tokenfit validate calibration/traces/*.csv --holdout device
  tokenfit plot cliff --model qwen3-32b --quant q4_k_m --devices rtx-4090,apple-m4-max -o cliff.png
  tokenfit detect --save
  tokenfit scan";

/// Does this model fit on this machine, how fast will it run, where is the cliff?
#[derive(Debug, Parser)]
#[command(name = "tokenfit", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Output format: table, csv, json or markdown.
    #[arg(long, global = true, default_value = "table")]
    pub format: String,
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
    Fit(FitArgs),
    /// One scenario with its breakdown: bytes per token by tier, bound, tok/s, TTFT.
    Predict(PredictArgs),
    /// What-if table over lists of devices, models, quants, contexts and KV types.
    Sweep(SweepArgs),
    /// The context where bytes first leave fast memory, and tok/s against context.
    Cliff(CliffArgs),
    /// Fit efficiencies to measured traces and write them (calibration/fitted.yaml format).
    Calibrate(CalibrateArgs),
    /// Predicted against measured on traces, with leave-one-device-out error.
    Validate(ValidateArgs),
    /// Audit a published speed claim: plausible, optimistic or impossible (exit 1 unless plausible).
    Check(CheckArgs),
    /// Concurrent streams: the largest batch whose caches fit, aggregate and per-stream decode tok/s, the knee.
    Capacity(CapacityArgs),
    /// List devices, or show one.
    Devices(ShowArgs),
    /// List models, or show one; `models import FILE` prints a GGUF file or config.json as an entry.
    Models(ModelsArgs),
    /// List quantization schemes and KV cache types, or show one.
    Quants(ShowArgs),
    /// When a local machine pays off against an API priced per token.
    Breakeven(BreakevenArgs),
    /// List API offerings and their prices per 1M tokens, or show one.
    Apis(ShowArgs),
    /// Draw a chart to -o FILE.svg|FILE.png: cliff, fit, calibration, breakeven, roofline, power.
    Plot(PlotArgs),
    /// This machine: CPU, RAM, GPUs (matched to the database) and measured memory bandwidth; --save keeps it as the device `this`.
    Detect(crate::cmd_detect::DetectArgs),
    /// Find the GGUF files on this machine and rank them for `this` (or --device): verdict, context that fits, speed.
    Scan(crate::cmd_scan::ScanArgs),
    /// Speed, power drawn and J/token over a board's power limits; the plateau where watts stop buying speed.
    Power(PowerArgs),
}

/// Options shared by scenario commands.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// KV cache element type: f16, bf16, q8_0, q4_0, fp8 …
    #[arg(long = "kv-type", default_value = "f16")]
    pub kv_type: String,
    /// Backend: llama.cpp-cuda, llama.cpp-metal, llama.cpp-rocm, llama.cpp-vulkan, llama.cpp-cpu, mlx, vllm, or a build variant (llama.cpp-rocm-rocblas, llama.cpp-vulkan-amdvlk, …); `fit --backend all` ranks each device on every backend it has traces for [default: the device's; Vulkan on AMD APUs]
    #[arg(long)]
    pub backend: Option<String>,
    /// Offload policy when fast memory is short: none, layers (llama.cpp -ngl), experts (MoE experts on the
    /// host), stream (weights over the link each token), disk (layers, then mmap from NVMe), auto (fastest).
    #[arg(long, default_value = "layers")]
    pub offload: String,
    /// Host RAM of your machine, GiB [default: the device entry's typical host].
    #[arg(long = "host-gib")]
    pub host_gib: Option<f64>,
    /// Host RAM bandwidth of your machine, GB/s (channels × MT/s × 8 B; e.g. 2 × 6000 × 8 = 96).
    #[arg(long = "host-gb-s")]
    pub host_gb_s: Option<f64>,
    /// Flash attention: on or off (llama.cpp -fa 1 / -fa 0).
    #[arg(long = "flash-attn", default_value = "on")]
    pub flash_attn: String,
    /// Micro-batch in tokens (llama.cpp -ub) [default: the backend's, 512 for llama.cpp].
    #[arg(long)]
    pub ubatch: Option<String>,
    /// Board power limit, W (nvidia-smi -pl), for devices with power data [default: the board's default limit].
    #[arg(long = "power-limit", value_name = "W", allow_hyphen_values = true)]
    pub power_limit: Option<f64>,
}

/// `fit` arguments.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Model id, alias or name (or --gguf / --hf-config).
    #[arg(required_unless_present_any = ["gguf", "hf_config"], conflicts_with_all = ["gguf", "hf_config"])]
    pub model: Option<String>,
    /// A model file instead of a name.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Quantization scheme [default: the GGUF file's, else q4_k_m].
    #[arg(long)]
    pub quant: Option<String>,
    /// Context in tokens (4096, 32k, 32K) [default: 4k].
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Comma-separated device ids, or all.
    #[arg(long, default_value = "all")]
    pub devices: String,
    /// Also draw the chart to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// `predict` arguments.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Device id, alias or name.
    #[arg(long, required_unless_present = "devices", conflicts_with = "devices")]
    pub device: Option<String>,
    /// Several devices serving one model: `2x dgx-spark`, `rtx-5090,rtx-3090`.
    #[arg(long)]
    pub devices: Option<String>,
    /// How several devices split the model: layer (llama.cpp --split-mode layer, RPC) or tensor.
    #[arg(long, default_value = "layer", requires = "devices")]
    pub parallel: String,
    /// Link between the devices (hardware-db/links.yaml) [default: pcie-4.0-x16 between GPUs in
    /// one host, connectx-7 between DGX Sparks, 10gbe between other machines].
    #[arg(long, requires = "devices")]
    pub link: Option<String>,
    /// Model id, alias or name (or --gguf / --hf-config).
    #[arg(long, default_value = "", hide_default_value = true,
          required_unless_present_any = ["gguf", "hf_config"], conflicts_with_all = ["gguf", "hf_config"])]
    pub model: String,
    /// A model file instead of a name.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Quantization scheme [default with --gguf: the file's].
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        required_unless_present = "gguf"
    )]
    pub quant: String,
    /// Context allocated, tokens [default: depth + prompt + gen].
    #[arg(long)]
    pub ctx: Option<String>,
    /// Prompt tokens [default: ctx − gen, or 512].
    #[arg(long)]
    pub prompt: Option<String>,
    /// Generated tokens [default: 128].
    #[arg(long, default_value = "128")]
    pub gen: String,
    /// Tokens already in the cache before the prompt (llama-bench -d) [default: 0].
    #[arg(long, default_value = "0")]
    pub depth: String,
    /// Layers on the GPU (llama.cpp -ngl); the rest run on the host.
    #[arg(long = "gpu-layers")]
    pub gpu_layers: Option<u32>,
    /// Concurrent streams decoded together (each with its own cache) [default: 1].
    #[arg(long, default_value = "1")]
    pub batch: u32,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// `sweep` arguments.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Comma-separated device ids, or all.
    #[arg(long, default_value = "all")]
    pub devices: String,
    /// Comma-separated model ids, or all (with --gguf / --hf-config: besides the file's model).
    #[arg(long, required_unless_present_any = ["gguf", "hf_config"])]
    pub models: Option<String>,
    /// A model file besides (or instead of) the listed models.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Comma-separated quant ids, or all [default: the GGUF file's, else q4_k_m].
    #[arg(long)]
    pub quants: Option<String>,
    /// Comma-separated contexts (4k,32k,128k).
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Comma-separated KV cache types, or all.
    #[arg(long = "kv-type", default_value = "f16")]
    pub kv_type: String,
    /// Backend [default: each device's].
    #[arg(long)]
    pub backend: Option<String>,
    /// Offload policy: none, layers, experts, stream.
    #[arg(long, default_value = "layers")]
    pub offload: String,
    /// Show at most N rows in a table [default: a screenful on a terminal, else 10000];
    /// CSV, JSON and JSON lines always carry every row.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Board power limit, W (nvidia-smi -pl): devices without power data, or whose range lacks it, are left out.
    #[arg(long = "power-limit", value_name = "W", allow_hyphen_values = true)]
    pub power_limit: Option<f64>,
}

/// `cliff` arguments.
#[derive(Debug, Args)]
pub struct CliffArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name (or --gguf / --hf-config).
    #[arg(long, required_unless_present_any = ["gguf", "hf_config"], conflicts_with_all = ["gguf", "hf_config"])]
    pub model: Option<String>,
    /// A model file instead of a name.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Quantization scheme [default with --gguf: the file's].
    #[arg(long, required_unless_present = "gguf")]
    pub quant: Option<String>,
    /// Largest context of the series [default: the model's maximum].
    #[arg(long = "max-ctx")]
    pub max_ctx: Option<String>,
    /// Also draw the chart to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// `devices` / `models` / `quants` arguments.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An id to show in full (omit to list all).
    pub id: Option<String>,
}

/// A model read from a file instead of the database.
#[derive(Debug, Args, Clone, Default)]
pub struct ModelFileArgs {
    /// GGUF model file: the header only is read (architecture, exact weight bytes, quantization); any shard of a split model.
    #[arg(long, value_name = "FILE", conflicts_with = "hf_config")]
    pub gguf: Option<PathBuf>,
    /// Hugging Face config.json (or its directory): the architecture; choose the scheme with --quant.
    #[arg(long = "hf-config", value_name = "FILE")]
    pub hf_config: Option<PathBuf>,
}

/// `models` arguments.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ModelsArgs {
    /// `import FILE`.
    #[command(subcommand)]
    pub action: Option<ModelsAction>,
    /// An id to show in full (omit to list all).
    pub id: Option<String>,
}

/// `models` actions.
#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Print a GGUF file or a Hugging Face config.json as a model-db YAML entry (save it under --db DIR to use it by id).
    Import(ImportArgs),
}

/// `models import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A GGUF file (any shard of a split model) or a config.json (or its directory).
    pub file: PathBuf,
}

/// `calibrate` arguments.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Trace files: normalized CSV, llama-bench csv/json/jsonl/md, llama-batched-bench md.
    #[arg(required_unless_present = "add")]
    pub traces: Vec<PathBuf>,
    /// Fold your own measurements (e.g. the output of a prediction's verify command) into
    /// a local calibration in your config directory (TOKENFIT_CONFIG_DIR, else
    /// ~/.config/tokenfit); the shipped calibration is never changed.
    #[arg(long, value_name = "FILE")]
    pub add: Option<PathBuf>,
    /// List every row that could not be mapped, with the reason, on stderr.
    #[arg(long)]
    pub verbose: bool,
}

/// `validate` arguments.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Trace files.
    #[arg(required = true)]
    pub traces: Vec<PathBuf>,
    /// What the predicting fit leaves out: device (leave-one-device-out), model, none
    /// (in-sample refit), or shipped (no refit: the calibration `predict` uses). Default:
    /// device when every file is a shipped calibration trace, else shipped.
    #[arg(long)]
    pub holdout: Option<String>,
    /// List every row that could not be mapped, with the reason, on stderr.
    #[arg(long)]
    pub verbose: bool,
    /// Also draw predicted against measured to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
}

const BREAKEVEN_EXAMPLES: &str = "Examples:
  tokenfit breakeven --device dgx-spark --api gpt-4o
  tokenfit breakeven --device rtx-5090 --price-usd 3500 --api groq-llama-3.3-70b --tokens-per-month 30M
  tokenfit breakeven --device strix-halo-128gb --api-usd-per-m-in 0.2 --api-usd-per-m-out 0.6 --model qwen3-30b-a3b
  tokenfit breakeven --devices all --api claude-sonnet-4.5 --input-per-output 3 --model gpt-oss-120b --quant mxfp4";

/// `breakeven` arguments.
#[derive(Debug, Args)]
#[command(after_help = BREAKEVEN_EXAMPLES)]
#[command(group(clap::ArgGroup::new("machine").required(true).args(["device", "devices"])))]
pub struct BreakevenArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: Option<String>,
    /// Comma-separated device ids, or all: ranked by payback (devices without a price in the database are left out).
    #[arg(long, conflicts_with_all = ["price_usd", "power_w"])]
    pub devices: Option<String>,
    /// Purchase price of the machine, USD [default: the device's price in the database].
    #[arg(long = "price-usd", allow_hyphen_values = true)]
    pub price_usd: Option<f64>,
    /// Years the purchase is amortized over [default: 3, model-db/api-pricing.yaml].
    #[arg(long, allow_hyphen_values = true)]
    pub years: Option<f64>,
    /// API offering to compare with (`tokenfit apis` lists them) [default: gpt-4o].
    #[arg(long, conflicts_with_all = ["api_usd_per_m_in", "api_usd_per_m_out"])]
    pub api: Option<String>,
    /// API input price, USD per 1M tokens, instead of --api [default: 0].
    #[arg(
        long = "api-usd-per-m-in",
        allow_hyphen_values = true,
        requires = "api_usd_per_m_out"
    )]
    pub api_usd_per_m_in: Option<f64>,
    /// API output price, USD per 1M tokens, instead of --api.
    #[arg(long = "api-usd-per-m-out", allow_hyphen_values = true)]
    pub api_usd_per_m_out: Option<f64>,
    /// Electricity, USD per kWh; 0 ignores it [default: 0.165, US residential average 2024 (EIA)].
    #[arg(long = "kwh-usd", allow_hyphen_values = true)]
    pub kwh_usd: Option<f64>,
    /// Power while busy, W [default: the power the device draws for this workload where it has power data, else its rated power].
    #[arg(long = "power-w", allow_hyphen_values = true)]
    pub power_w: Option<f64>,
    /// Hours a day the machine is on; the hours it is on but not generating draw idle power [default: 24].
    #[arg(
        long = "hours-per-day",
        default_value = "24",
        allow_hyphen_values = true
    )]
    pub hours_per_day: f64,
    /// Idle power, W [default: the device's idle power where it has power data, else 0].
    #[arg(long = "idle-w", allow_hyphen_values = true)]
    pub idle_w: Option<f64>,
    /// Output tokens per month (12.5M, 800k, 2B) [default: the machine's capacity, busy around the clock].
    #[arg(long = "tokens-per-month", allow_hyphen_values = true)]
    pub tokens_per_month: Option<String>,
    /// Input (prompt) tokens per output token; 0 compares output tokens only [default: 0].
    #[arg(
        long = "input-per-output",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub input_per_output: f64,
    /// Model run locally [default: the open model the API serves, else llama-3.3-70b].
    #[arg(long)]
    pub model: Option<String>,
    /// Quantization scheme.
    #[arg(long, default_value = "q4_k_m")]
    pub quant: String,
    /// Context of each request, tokens (prompt + output) [default: 4k].
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Also draw cumulative costs over the months to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// `check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Tokens already in the cache when the claim was measured [default: 0].
    #[arg(long)]
    pub ctx: Option<String>,
    /// The claimed speed, tokens per second.
    #[arg(long = "claimed-tok-s", allow_negative_numbers = true)]
    pub claimed_tok_s: f64,
    /// What the claim measures: tg (decode, single stream) or pp (prefill).
    #[arg(long, default_value = "tg")]
    pub test: String,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// A chart path: the extension must pick a backend (.svg or .png).
fn plot_file(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    tokenfit::report::plot::ImageFormat::from_path(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

const PLOT_EXAMPLES: &str = "Examples:
  tokenfit plot cliff --model qwen3-32b --quant q4_k_m --devices rtx-4090,apple-m4-max -o cliff.png
  tokenfit plot fit llama-3.3-70b --quant q4_k_m --ctx 32k --devices all -o fit.svg
  tokenfit plot calibration calibration/traces/*.csv --holdout device -o calibration.png
  tokenfit plot breakeven --device dgx-spark --api gpt-4o --tokens-per-month 20M -o breakeven.png
  tokenfit plot roofline --device rtx-4090 --model llama-3.1-8b --quant q4_k_m --prompt 4k -o roofline.png
The chart goes to -o FILE: .svg (vector) or .png (1200×800, font embedded).";

/// `plot` arguments.
#[derive(Debug, Args)]
#[command(after_help = PLOT_EXAMPLES)]
pub struct PlotArgs {
    /// The chart.
    #[command(subcommand)]
    pub kind: PlotKind,
}

/// Charts.
#[derive(Debug, Subcommand)]
pub enum PlotKind {
    /// Decode tok/s against context for one model on several devices, each cliff marked.
    Cliff(PlotCliffArgs),
    /// The `fit` ranking as bars coloured by verdict, the interval as error bars.
    Fit(FitArgs),
    /// Predicted against measured (log-log) of a `validate` run, y = x and a ±10% band.
    Calibration(ValidateArgs),
    /// Cumulative cost of a machine against an API over the months, the crossing marked.
    Breakeven(BreakevenArgs),
    /// A device's roofline with a scenario's decode and prefill placed on it.
    Roofline(PredictArgs),
    /// Decode and prefill tok/s and J per token against the power limit, the plateau marked.
    Power(PowerArgs),
}

/// `plot cliff` arguments.
#[derive(Debug, Args)]
pub struct PlotCliffArgs {
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Comma-separated device ids (one line each).
    #[arg(long)]
    pub devices: String,
    /// Largest context of the series [default: the model's maximum].
    #[arg(long = "max-ctx")]
    pub max_ctx: Option<String>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// `capacity` arguments.
#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Context per stream, tokens [default: 4k].
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

const POWER_EXAMPLES: &str = "Examples:
  tokenfit power --device rtx-pro-6000-blackwell --model llama-2-7b --quant q4_0
  tokenfit power --device rtx-pro-6000-blackwell --model qwen3-32b --quant q4_k_m --ctx 16k --batch 8 --format json
  tokenfit plot power --device rtx-pro-6000-blackwell --model llama-2-7b --quant q4_0 -o power.svg
Devices with power data (a `power_limit` block in hardware-db): rtx-pro-6000-blackwell, h100-pcie.";

/// `power` arguments.
#[derive(Debug, Args)]
#[command(after_help = POWER_EXAMPLES)]
pub struct PowerArgs {
    /// Device id, alias or name (one with power data).
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Context allocated, tokens [default: prompt + gen].
    #[arg(long)]
    pub ctx: Option<String>,
    /// Prompt tokens [default: ctx − gen, or 512].
    #[arg(long)]
    pub prompt: Option<String>,
    /// Generated tokens [default: 128].
    #[arg(long, default_value = "128")]
    pub gen: String,
    /// Concurrent streams decoded together [default: 1].
    #[arg(long, default_value = "1")]
    pub batch: u32,
    /// Backend [default: the device's].
    #[arg(long)]
    pub backend: Option<String>,
    /// KV cache element type.
    #[arg(long = "kv-type", default_value = "f16")]
    pub kv_type: String,
    /// Step between limits, W [default: a round step giving about 16 limits].
    #[arg(long = "step-w")]
    pub step_w: Option<f64>,
}
