//! Options and parsers shared by the commands: the scenario flags, a model file, list and
//! count parsing, device lists.

use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;
use tokenfit::db::hardware::Device;
use tokenfit::db::Db;
use tokenfit::model::Offload;
use tokenfit::scenario::Options;
use tokenfit::units::parse_tokens;

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
    #[arg(long, value_enum, default_value_t = OffloadArg::Layers, hide_possible_values = true)]
    pub offload: OffloadArg,
    /// Host RAM of your machine, GiB [default: the device entry's typical host].
    #[arg(long = "host-gib")]
    pub host_gib: Option<f64>,
    /// Host RAM bandwidth of your machine, GB/s (channels × MT/s × 8 B; e.g. 2 × 6000 × 8 = 96).
    #[arg(long = "host-gb-s")]
    pub host_gb_s: Option<f64>,
    /// Flash attention: on or off (llama.cpp -fa 1 / -fa 0).
    #[arg(long = "flash-attn", value_enum, default_value_t = OnOff::On, hide_possible_values = true)]
    pub flash_attn: OnOff,
    /// Micro-batch in tokens (llama.cpp -ub) [default: the backend's, 512 for llama.cpp].
    #[arg(long)]
    pub ubatch: Option<String>,
    /// Board power limit, W (nvidia-smi -pl), for devices with power data [default: the board's default limit].
    #[arg(long = "power-limit", value_name = "W", allow_hyphen_values = true)]
    pub power_limit: Option<f64>,
    /// CPU threads (llama.cpp -t) on a CPU whose cores are known (`detect --save`) [default: its physical cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub threads: Option<u32>,
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

/// A chart path: the extension must pick a backend (.svg or .png).
pub(crate) fn plot_file(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    tokenfit::report::plot::ImageFormat::from_path(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

pub(crate) fn tokens(flag: &str, s: &str) -> Result<u64> {
    parse_tokens(s).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

/// A `--ctx` of one context: a token count of at least 1.
pub(crate) fn ctx(s: &str) -> Result<u64> {
    let c = tokens("ctx", s)?;
    if c == 0 {
        bail!("--ctx must be at least 1 token, got '{s}'");
    }
    Ok(c)
}

/// `--max-ctx` of `cliff` and `plot cliff`: a token count of at least 1, if given.
pub(crate) fn max_ctx(given: Option<&str>) -> Result<Option<u64>> {
    let c = given.map(|c| tokens("max-ctx", c)).transpose()?;
    if c == Some(0) {
        bail!("--max-ctx must be at least 1 token");
    }
    Ok(c)
}

/// `--offload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OffloadArg {
    // The spellings of `tokenfit::model::Offload`, with llama.cpp's words as aliases.
    None,
    #[value(alias = "ngl")]
    Layers,
    #[value(alias = "moe")]
    Experts,
    Stream,
    #[value(alias = "mmap")]
    Disk,
    Auto,
}

impl From<OffloadArg> for Offload {
    fn from(o: OffloadArg) -> Offload {
        match o {
            OffloadArg::None => Offload::None,
            OffloadArg::Layers => Offload::Layers,
            OffloadArg::Experts => Offload::Experts,
            OffloadArg::Stream => Offload::Stream,
            OffloadArg::Disk => Offload::Disk,
            OffloadArg::Auto => Offload::Auto,
        }
    }
}

/// An on/off switch (`--flash-attn`), with llama.cpp's 1/0 and true/false as aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    // On.
    #[value(alias = "1", alias = "true")]
    On,
    // Off.
    #[value(alias = "0", alias = "false")]
    Off,
}

pub(crate) fn options(c: &Common) -> Result<Options> {
    let ubatch = match &c.ubatch {
        Some(u) => {
            let v = tokens("ubatch", u)?;
            if v == 0 || v > 1 << 20 {
                bail!("--ubatch must be between 1 and 1048576, got {v}");
            }
            Some(v as u32)
        }
        None => None,
    };
    Ok(Options {
        kv_type: c.kv_type.clone(),
        backend: c.backend.clone(),
        offload: c.offload.into(),
        ubatch,
        flash_attn: c.flash_attn == OnOff::On,
        host_gib: c.host_gib,
        host_gb_s: c.host_gb_s,
        power_limit_w: c.power_limit,
        threads: c.threads,
        ..Options::default()
    })
}

/// The entries of a comma-separated list, trimmed, empty ones dropped and repeats merged
/// (the first kept).
pub(crate) fn list(s: &str) -> Vec<&str> {
    let mut out: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect();
    dedup_by(&mut out, |x| *x);
    out
}

/// Drops entries whose key came before (an id and an alias of one entry; `4k,4096`;
/// `f16,F16`), keeping the first of each in order.
pub(crate) fn dedup_by<T, K: PartialEq>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut seen: Vec<K> = Vec::new();
    v.retain(|x| {
        let k = key(x);
        let new = !seen.contains(&k);
        if new {
            seen.push(k);
        }
        new
    });
}

pub(crate) fn devices<'a>(db: &'a Db, s: &str) -> Result<Vec<&'a Device>> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(db.devices.iter().collect());
    }
    let names = list(s);
    if names.is_empty() {
        bail!("--devices is empty; name at least one device or 'all'");
    }
    let mut out = names
        .into_iter()
        .map(|n| db.device(n))
        .collect::<tokenfit::Result<Vec<&Device>>>()?;
    // Two names of one device (an id and an alias) are one entry.
    dedup_by(&mut out, |d| d.id());
    Ok(out)
}

/// `--verdict`: which rows a listing keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerdictArg {
    /// Only rows that fit in fast memory.
    Fits,
    /// Only rows that run with part of the model off the fast tier.
    Spills,
    /// Every row.
    All,
}

impl From<VerdictArg> for tokenfit::advise::select::VerdictFilter {
    fn from(v: VerdictArg) -> Self {
        use tokenfit::advise::select::VerdictFilter as F;
        match v {
            VerdictArg::Fits => F::Fits,
            VerdictArg::Spills => F::Spills,
            VerdictArg::All => F::All,
        }
    }
}

/// `--sort` of `fit` and `sweep`: the order after the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortArg {
    /// Decode tok/s, fastest first.
    Speed,
    /// Time to first token, shortest first.
    Ttft,
    /// Device price, cheapest first.
    Price,
    /// By name.
    Name,
}

impl From<SortArg> for tokenfit::advise::select::SortKey {
    fn from(s: SortArg) -> Self {
        use tokenfit::advise::select::SortKey as K;
        match s {
            SortArg::Speed => K::Speed,
            SortArg::Ttft => K::Ttft,
            SortArg::Price => K::Price,
            SortArg::Name => K::Name,
        }
    }
}

/// A speed floor, tok/s: a finite number of at least 0.
pub(crate) fn tok_s(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) => Err(format!("must be a speed of at least 0 tok/s, got {v}")),
        Err(_) => Err(format!("'{s}' is not a number of tok/s")),
    }
}

/// A row count for `--top`: a whole number of at least 1 (0 would show an empty table).
pub(crate) fn top(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1 (leave --top out to show every row)".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a whole number of rows")),
    }
}

/// The filter of `--verdict` and `--min-tok-s`.
pub(crate) fn filter(
    verdict: VerdictArg,
    min_tok_s: Option<f64>,
) -> tokenfit::advise::select::Filter {
    tokenfit::advise::select::Filter {
        verdict: verdict.into(),
        min_decode_tok_s: min_tok_s,
    }
}

/// The devices that can run the backend (`--backend`, else each one's default) and, when
/// `quant` is given, load its weights; the rest are left out with one note each way.
pub(crate) fn runnable<'a>(
    db: &'a Db,
    devs: Vec<&'a Device>,
    backend: Option<&str>,
    quant: Option<&tokenfit::db::quant::QuantRaw>,
) -> Result<(Vec<&'a Device>, Vec<String>)> {
    use tokenfit::scenario::compat;
    // `fit --backend all` ranks each device on the backends it has traces for: its default
    // and those it ran, which it runs by construction; the quant is checked per device below.
    let backend = backend.filter(|b| *b != tokenfit::advise::fit::ALL_BACKENDS);
    let (mut kept, mut no_backend, mut no_quant) = (Vec::new(), Vec::new(), Vec::new());
    for d in devs {
        let b = compat::backend_for(db, d, backend)?;
        if !compat::runs_on(b, d) {
            no_backend.push(d.id().to_string());
        } else if quant.is_some_and(|q| !compat::loads(b, q)) {
            no_quant.push(format!("{} ({})", d.id(), b.id));
        } else {
            kept.push(d);
        }
    }
    let mut notes = Vec::new();
    let some = |v: &[String]| {
        let mut s = v.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
        if v.len() > 6 {
            s.push_str(&format!(" and {} more", v.len() - 6));
        }
        s
    };
    if !no_backend.is_empty() {
        notes.push(format!(
            "left out {} device(s) that cannot run {}: {}",
            no_backend.len(),
            backend.unwrap_or_default(),
            some(&no_backend)
        ));
    }
    if let (false, Some(q)) = (no_quant.is_empty(), quant) {
        notes.push(format!(
            "left out {} device(s) whose backend cannot load {} weights ({}): {}; --backend picks another",
            no_quant.len(),
            q.id,
            q.format,
            some(&no_quant)
        ));
    }
    if kept.is_empty() {
        bail!("no device left: {}", notes.join("; "));
    }
    Ok((kept, notes))
}
