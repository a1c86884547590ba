//! Output snapshots: every command's table, CSV, JSON and Markdown output, and every
//! `--help`, so moving code cannot change what a user sees without a reviewed snapshot.
//! Create or update them with `INSTA_UPDATE=always cargo test --test snapshots`.

mod common;

use common::tokenfit;

/// Runs the binary and returns stdout, or stderr prefixed with the exit code on failure.
fn run(args: &[&str]) -> String {
    let out = tokenfit().args(args).output().expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    format!(
        "exit: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        out.status.code().unwrap_or(-1)
    )
}

/// Each command with the arguments a user types, by snapshot name.
const COMMANDS: &[(&str, &[&str])] = &[
    (
        "fit",
        &["fit", "llama-3.3-70b", "--quant", "q8_0", "--ctx", "32k"],
    ),
    (
        "fit_some",
        &[
            "fit",
            "qwen3-30b-a3b",
            "--devices",
            "rtx-4090,apple-m4-max,dgx-spark",
        ],
    ),
    (
        "rank",
        &["rank", "--device", "rtx-4090", "--ctx", "16k", "--top", "8"],
    ),
    (
        "predict",
        &[
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--prompt",
            "4k",
            "--gen",
            "256",
        ],
    ),
    (
        "predict_offload",
        &[
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.3-70b",
            "--quant",
            "q4_k_m",
            "--ctx",
            "8k",
        ],
    ),
    (
        "predict_multi",
        &[
            "predict",
            "--devices",
            "2x dgx-spark",
            "--model",
            "llama-3.3-70b",
            "--quant",
            "q8_0",
        ],
    ),
    (
        "sweep",
        &[
            "sweep",
            "--devices",
            "rtx-4090,apple-m4-max",
            "--models",
            "llama-3.1-8b,qwen3-30b-a3b",
            "--quants",
            "q4_k_m,q8_0",
            "--ctx",
            "4k,32k",
        ],
    ),
    (
        // Devices with and without power data in one stream: every row has the same columns.
        "sweep_power",
        &[
            "sweep",
            "--devices",
            "rtx-4090,rtx-pro-6000-blackwell",
            "--models",
            "llama-3.1-8b",
            "--ctx",
            "4k,32k",
        ],
    ),
    (
        "sweep_kv",
        &[
            "sweep",
            "--devices",
            "dgx-spark",
            "--models",
            "gpt-oss-120b",
            "--quants",
            "mxfp4",
            "--ctx",
            "8k,128k",
            "--kv-type",
            "f16,q8_0",
        ],
    ),
    (
        "cliff",
        &[
            "cliff",
            "--device",
            "rtx-4090",
            "--model",
            "qwen3-32b",
            "--quant",
            "q4_k_m",
        ],
    ),
    (
        "capacity",
        &[
            "capacity",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
        ],
    ),
    (
        "check",
        &[
            "check",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--claimed-tok-s",
            "150",
        ],
    ),
    (
        "breakeven",
        &[
            "breakeven",
            "--device",
            "dgx-spark",
            "--api",
            "gpt-4o",
            "--tokens-per-month",
            "20M",
        ],
    ),
    (
        "breakeven_all",
        &["breakeven", "--devices", "all", "--api", "gpt-4o"],
    ),
    ("devices", &["devices"]),
    ("devices_one", &["devices", "rtx-4090"]),
    ("models", &["models"]),
    ("models_one", &["models", "qwen3-30b-a3b"]),
    ("quants", &["quants"]),
    ("quants_one", &["quants", "q4_k_m"]),
    ("apis", &["apis"]),
    ("apis_one", &["apis", "gpt-4o"]),
    (
        "validate",
        &[
            "validate",
            "calibration/traces/lhl_strix_halo_vs_dgx_spark_gptoss120b.csv",
            "--holdout",
            "shipped",
        ],
    ),
    (
        "calibrate",
        &[
            "calibrate",
            "calibration/traces/lhl_strix_halo_vs_dgx_spark_gptoss120b.csv",
        ],
    ),
];

const FORMATS: &[&str] = &["table", "csv", "json", "markdown"];

#[test]
fn every_command_in_every_format() {
    for (name, args) in COMMANDS {
        for f in FORMATS {
            let mut a = args.to_vec();
            a.extend(["--format", f]);
            insta::assert_snapshot!(format!("{name}__{f}"), run(&a));
        }
    }
}

const SUBCOMMANDS: &[&[&str]] = &[
    &[],
    &["fit"],
    &["rank"],
    &["predict"],
    &["sweep"],
    &["cliff"],
    &["calibrate"],
    &["validate"],
    &["check"],
    &["capacity"],
    &["devices"],
    &["models"],
    &["models", "import"],
    &["quants"],
    &["breakeven"],
    &["apis"],
    &["plot"],
    &["plot", "cliff"],
    &["plot", "fit"],
    &["plot", "calibration"],
    &["plot", "breakeven"],
    &["plot", "roofline"],
];

#[test]
fn every_help() {
    for sub in SUBCOMMANDS {
        let mut a = sub.to_vec();
        a.push("--help");
        let name = if sub.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", sub.join("_"))
        };
        insta::assert_snapshot!(name, run(&a));
    }
}
