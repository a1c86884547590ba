//! Which rows a first-time user gets: the filters, sorts and caps of `fit` and `sweep`,
//! merged list entries, `rank`'s best quant per model, what cannot load (left out with one
//! note), and where a capped `cliff` search stopped.

mod common;

use common::{json, results, stdout_of, tokenfit};
use serde_json::Value;

#[test]
fn fit_filters_sorts_and_caps_rows() {
    let v = json(&[
        "fit",
        "llama-3.3-70b",
        "--ctx",
        "32k",
        "--verdict",
        "fits",
        "--min-tok-s",
        "20",
    ]);
    assert!(!results(&v).is_empty());
    for r in results(&v) {
        assert_eq!(r["verdict"], "fits");
        assert!(r["decode_tok_s"].as_f64().unwrap() >= 20.0, "{r}");
    }
    let v = json(&[
        "fit",
        "llama-3.1-8b",
        "--sort",
        "price",
        "--verdict",
        "fits",
        "--top",
        "5",
    ]);
    let prices: Vec<f64> = results(&v)
        .iter()
        .filter_map(|r| r["price_usd"].as_f64())
        .collect();
    assert_eq!(results(&v).len(), 5);
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    // Spills: part of the model is off the fast tier, so the headroom is negative.
    let v = json(&[
        "fit",
        "llama-3.3-70b",
        "--quant",
        "q8_0",
        "--ctx",
        "32k",
        "--verdict",
        "spills",
    ]);
    assert!(!results(&v).is_empty());
    for r in results(&v) {
        assert_eq!(r["verdict"], "spills");
        assert!(r["headroom_bytes"].as_i64().unwrap() < 0, "{r}");
    }
}

#[test]
fn repeated_list_entries_are_merged() {
    let v = json(&[
        "fit",
        "llama-3.1-8b",
        "--devices",
        "rtx-4090,rtx-4090, RTX 4090",
    ]);
    assert_eq!(results(&v).len(), 1);
    let v = json(&[
        "sweep",
        "--devices",
        "rtx-4090",
        "--models",
        "llama-3.1-8b,llama-3.1-8b",
        "--ctx",
        "4k,4k",
    ]);
    assert_eq!(results(&v).len(), 1);
    // The same value written two ways is one entry too.
    let v = json(&[
        "sweep",
        "--devices",
        "rtx-4090",
        "--models",
        "llama-3.1-8b",
        "--quants",
        "q4_k_m,Q4_K_M",
        "--ctx",
        "4k,4096,32k",
        "--kv-type",
        "f16,F16",
    ]);
    let ctxs: Vec<u64> = results(&v)
        .iter()
        .map(|r| r["ctx"].as_u64().unwrap())
        .collect();
    assert_eq!(ctxs, [4096, 32768]);
}

#[test]
fn sweep_filters_streamed_rows_and_keeps_one_csv_header() {
    let out = stdout_of(
        &[
            "sweep",
            "--devices",
            "all",
            "--models",
            "llama-3.3-70b,llama-3.1-8b",
            "--ctx",
            "4k,32k",
            "--verdict",
            "spills",
            "--format",
            "csv",
        ],
        None,
    );
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("device,model,quant"));
    let verdict = header.split(',').position(|c| c == "verdict").unwrap();
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(!r.starts_with("device,"), "a second header");
        // No field before the verdict holds a comma.
        assert_eq!(r.split(',').nth(verdict), Some("spills"), "{r}");
    }
    let v = json(&[
        "sweep",
        "--devices",
        "rtx-4090,apple-m4-max",
        "--models",
        "qwen3-32b",
        "--ctx",
        "4k,64k",
        "--min-tok-s",
        "15",
    ]);
    for r in results(&v) {
        assert!(r["decode_tok_s"].as_f64().unwrap() >= 15.0);
    }
}

#[test]
fn sweep_sorts_a_table_by_speed() {
    let out = stdout_of(
        &[
            "sweep",
            "--devices",
            "rtx-4090,apple-m4-max",
            "--models",
            "llama-3.1-8b,qwen3-32b",
            "--sort",
            "speed",
            "--top",
            "3",
            "--columns",
            "device,model,decode",
        ],
        None,
    );
    let speeds: Vec<f64> = out
        .lines()
        .skip(2)
        .filter(|l| !l.contains("rows shown"))
        .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
        .collect();
    assert_eq!(speeds.len(), 3, "{out}");
    assert!(speeds.windows(2).all(|w| w[0] >= w[1]), "{speeds:?}");
    assert!(out.contains("3 of 4 rows shown"), "{out}");
}

#[test]
fn rank_gives_each_model_its_best_quant_that_runs() {
    let v = json(&["rank", "--device", "rtx-4090", "--ctx", "16k"]);
    let rows = results(&v);
    assert!(rows.len() > 10);
    let ladder = [
        "bf16", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "iq4_xs", "q3_k_m",
    ];
    for w in rows.windows(2) {
        assert!(
            w[0]["params_b"].as_f64() >= w[1]["params_b"].as_f64(),
            "largest first"
        );
    }
    for r in rows {
        for k in [
            "model",
            "quant",
            "params_b",
            "verdict",
            "decode_tok_s",
            "prefill_tok_s",
            "ttft_s",
            "total_bytes",
            "usable_bytes",
        ] {
            assert!(!r[k].is_null(), "{k} in {r}");
        }
        assert_eq!(r["verdict"], "fits");
        assert!(r["decode_tok_s"].as_f64().unwrap() >= 10.0);
    }
    // The quant one step better than the chosen one does not fit or is too slow.
    for r in rows.iter().take(5) {
        let q = r["quant"].as_str().unwrap();
        let i = ladder.iter().position(|x| *x == q).expect("a ladder quant");
        if i == 0 {
            continue;
        }
        let better = json(&[
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            r["model"].as_str().unwrap(),
            "--quant",
            ladder[i - 1],
            "--ctx",
            "16k",
            "--prompt",
            "16k",
            "--gen",
            "0",
        ]);
        let b = &results(&better)[0];
        assert!(
            b["verdict"] != "fits" || b["decode_tok_s"].as_f64().unwrap() < 10.0,
            "{} at {} would run: {b}",
            r["model"],
            ladder[i - 1]
        );
    }
    let fast = json(&[
        "rank",
        "--device",
        "rtx-4090",
        "--min-tok-s",
        "100",
        "--sort",
        "speed",
    ]);
    let speeds: Vec<f64> = results(&fast)
        .iter()
        .map(|r| r["decode_tok_s"].as_f64().unwrap())
        .collect();
    assert!(speeds.iter().all(|s| *s >= 100.0));
    assert!(speeds.windows(2).all(|w| w[0] >= w[1]));
    let mlx = json(&[
        "rank",
        "--device",
        "apple-m4-max",
        "--backend",
        "mlx",
        "--top",
        "3",
    ]);
    assert_eq!(results(&mlx).len(), 3);
    for r in results(&mlx) {
        assert!(
            ["bf16", "mlx-8bit", "mlx-6bit", "mlx-4bit"].contains(&r["quant"].as_str().unwrap())
        );
    }
}

#[test]
fn fit_and_sweep_leave_out_what_cannot_load_with_one_note() {
    let out = tokenfit()
        .args([
            "fit",
            "llama-3.1-8b",
            "--quant",
            "mlx-4bit",
            "--backend",
            "mlx",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(results(&v)
        .iter()
        .all(|r| r["device"].as_str().unwrap().starts_with("apple-")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("that cannot run mlx").count(), 1, "{err}");
    let out = tokenfit()
        .args([
            "sweep",
            "--devices",
            "rtx-4090,apple-m4-max",
            "--models",
            "llama-3.1-8b",
            "--quants",
            "q4_k_m,mlx-4bit",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        results(&v).len(),
        2,
        "q4_k_m on both; mlx-4bit on neither default backend"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("llama.cpp-cuda cannot load mlx-4bit").count(),
        1,
        "{err}"
    );
}

#[test]
fn cliff_says_where_a_capped_search_stopped() {
    let out = stdout_of(
        &[
            "cliff",
            "--device",
            "rtx-4090",
            "--model",
            "qwen3-32b",
            "--quant",
            "q4_k_m",
            "--max-ctx",
            "2k",
        ],
        None,
    );
    assert!(
        out.contains("no cliff up to 2048 tokens, where the search stopped"),
        "{out}"
    );
    let out = stdout_of(
        &[
            "cliff",
            "--device",
            "h200",
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
        ],
        None,
    );
    assert!(
        out.contains("no cliff up to the model's maximum context (131072 tokens)"),
        "{out}"
    );
}
