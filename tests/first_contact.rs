//! What a first-time user meets: tables that fit the screen, the columns `fit` and `devices`
//! show, the messages for bad input, and `-o FILE`. The row filters of `fit` and `sweep`,
//! `rank` and `cliff`: `tests/row_filters.rs`.

mod common;

use common::{fails_with, results, stdout_of, tokenfit};
use serde_json::Value;

#[test]
fn a_listing_too_wide_for_the_terminal_leaves_columns_out_and_says_which() {
    let narrow = stdout_of(&["devices"], Some("80"));
    assert!(
        narrow.contains("left out to fit 80 columns: name"),
        "{narrow}"
    );
    assert!(!narrow.lines().next().unwrap().contains("name"));
    // In a pipe (no width) every column stays.
    let all = stdout_of(&["devices"], None);
    assert!(all.lines().next().unwrap().contains("name"));
    assert!(!all.contains("left out to fit"));
}

#[test]
fn compact_tables_fit_80_and_120_columns() {
    for width in ["80", "120"] {
        let w: usize = width.parse().unwrap();
        for args in [
            &["fit", "llama-3.3-70b", "--quant", "q8_0", "--ctx", "32k"][..],
            &[
                "predict",
                "--device",
                "rtx-4090",
                "--model",
                "llama-3.1-8b",
                "--quant",
                "q4_k_m",
            ][..],
            &["rank", "--device", "rtx-4090"][..],
            &["devices"][..],
            &[
                "sweep",
                "--devices",
                "rtx-4090,apple-m4-max",
                "--models",
                "qwen3-32b",
                "--ctx",
                "4k,128k",
            ][..],
        ] {
            let out = stdout_of(args, Some(width));
            // The table: from the header rule to the first note (the title and notes are
            // single lines the terminal wraps).
            let lines: Vec<&str> = out.lines().collect();
            let rule = lines
                .iter()
                .position(|l| l.starts_with('─'))
                .expect("a header rule");
            for l in &lines[rule.saturating_sub(3)..] {
                if l.starts_with("measure")
                    || l.starts_with("every result")
                    || l.starts_with("then:")
                    || l.contains(" of ")
                    || l.contains("model(s)")
                    || l.starts_with("left out to fit")
                {
                    continue;
                }
                assert!(
                    l.chars().count() <= w,
                    "{args:?} at {w}: {} columns: {l}",
                    l.chars().count()
                );
            }
        }
    }
}

#[test]
fn fit_shows_compact_wide_or_chosen_columns() {
    let compact = stdout_of(&["fit", "llama-3.1-8b", "--top", "3"], None);
    for h in [
        "need / usable GiB",
        "largest fast ctx",
        "decode tok/s",
        "TTFT s",
        "price USD",
    ] {
        assert!(compact.contains(h), "{h} in {compact}");
    }
    assert!(!compact.contains("J/token"));
    let wide = stdout_of(&["fit", "llama-3.1-8b", "--top", "3", "--wide"], None);
    for h in ["headroom GiB", "J/token", "bound", "prefill tok/s (range)"] {
        assert!(wide.contains(h), "{h} in {wide}");
    }
    let two = stdout_of(
        &[
            "fit",
            "llama-3.1-8b",
            "--top",
            "2",
            "--columns",
            "device,decode,device",
        ],
        None,
    );
    let header = two.lines().nth(1).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["device", "decode", "tok/s"]
    );
    fails_with(
        &["fit", "llama-3.1-8b", "--columns", "speed"],
        "unknown column 'speed' for fit; choose from: rank, device",
    );
}

#[test]
fn devices_write_one_price_column_and_the_yaml_kind() {
    let csv = stdout_of(&["devices", "--format", "csv"], None);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header
            .iter()
            .filter(|c| c.contains("price"))
            .filter(|c| **c == "price_usd")
            .count(),
        1
    );
    assert!(!header
        .iter()
        .any(|c| *c == "price" || *c == "price.usd" || *c == "memory.host"));
    let table = stdout_of(&["devices"], None);
    assert!(table.contains("discrete_gpu") && !table.contains("DiscreteGpu"));
}

#[test]
fn bad_input_gets_exit_2_and_a_clear_message() {
    let p = [
        "predict",
        "--device",
        "rtx-4090",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "q4_k_m",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        p.iter().copied().chain(extra.iter().copied()).collect()
    };
    fails_with(&with(&["--ctx", "-1"]), "'-1' is negative");
    fails_with(&with(&["--ctx", "inf"]), "too large");
    fails_with(&with(&["--ctx", "1e30"]), "too large");
    fails_with(&with(&["--ctx", "0"]), "at least 1 token");
    fails_with(
        &with(&["--prompt", "0", "--gen", "0"]),
        "leaves nothing to predict",
    );
    fails_with(&["fit", "llama-3.1-8b", "--top", "0"], "must be at least 1");
    fails_with(
        &["rank", "--device", "rtx-4090", "--top", "0"],
        "must be at least 1",
    );
    fails_with(&["fit", "llama-3.1-8b", "--ctx", "-1"], "'-1' is negative");
    fails_with(&["fit", "llama-3.1-8b", "--ctx", "0"], "at least 1 token");
    fails_with(
        &["fit", "llama-3.1-8b", "--min-tok-s", "-3"],
        "at least 0 tok/s",
    );
    fails_with(
        &["fit", "--gguf", "/nonexistent dir/model.gguf"],
        "/nonexistent dir/model.gguf: no such file",
    );
    fails_with(
        &[
            "predict",
            "--device",
            "apple-m4-max",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--backend",
            "llama.cpp-cuda",
        ],
        "'apple-m4-max' cannot run llama.cpp-cuda; it runs llama.cpp-metal",
    );
    fails_with(
        &[
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--backend",
            "llama.cpp-metal",
        ],
        "cannot run llama.cpp-metal",
    );
    fails_with(
        &[
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "mlx-4bit",
        ],
        "llama.cpp-cuda cannot load mlx-4bit weights",
    );
    fails_with(
        &[
            "predict",
            "--device",
            "h100-sxm",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--backend",
            "vllm",
        ],
        "vllm cannot load q4_k_m weights",
    );
}

#[test]
fn output_files_land_whole_and_errors_name_the_path() {
    let dir = std::env::temp_dir().join(format!("tokenfit-contact-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fit with space.json");
    tokenfit()
        .args(["fit", "llama-3.1-8b", "--format", "json", "-o"])
        .arg(&file)
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(!results(&v).is_empty());
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    let missing = dir.join("no such dir").join("out.csv");
    let out = tokenfit()
        .args(["sweep", "--models", "llama-3.1-8b", "--format", "csv", "-o"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such dir"));
    // Any command's -o: the path once, as the user gave it.
    let out = tokenfit()
        .args(["fit", "llama-3.1-8b", "-o"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("out.csv").count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
