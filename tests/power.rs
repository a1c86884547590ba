//! Power limits end to end: `tokenfit power`, `--power-limit` on the scenario commands, energy
//! from the power drawn, idle hours in `breakeven`, and bad input (exit 2).

mod common;
use common::{json, number as f, tokenfit};
use predicates::prelude::*;

const PRO: [&str; 6] = [
    "--device",
    "rtx-pro-6000-blackwell",
    "--model",
    "llama-2-7b",
    "--quant",
    "q4_0",
];

#[test]
fn the_seed_claim_a_single_stream_plateaus_at_or_below_500_w() {
    let v = json(&[&["power"][..], &PRO].concat());
    let s = &v["summary"];
    let plateau = f(s, "plateau_w");
    assert!(plateau <= 500.0, "plateau {plateau} W");
    let rows = v["results"].as_array().unwrap();
    for k in [
        "power_limit_w",
        "decode_tok_s",
        "prefill_tok_s",
        "power_w",
        "energy_j_per_token",
    ] {
        assert!(rows.iter().all(|r| r[k].is_number()), "{k}");
    }
    // Limits run from the board's minimum to its maximum, ascending.
    let limits: Vec<f64> = rows.iter().map(|r| f(r, "power_limit_w")).collect();
    assert_eq!(limits.first(), Some(&200.0));
    assert_eq!(limits.last(), Some(&600.0));
    assert!(limits.windows(2).all(|w| w[0] < w[1]));
    // The plateau's definition: within 2% of the speed at the maximum, the next lower not.
    let top = f(rows.last().unwrap(), "decode_tok_s");
    let i = limits.iter().position(|l| *l == plateau).unwrap();
    assert!(f(&rows[i], "decode_tok_s") >= 0.98 * top);
    assert!(i == 0 || f(&rows[i - 1], "decode_tok_s") < 0.98 * top);
    // Decode draws less than the limit at the top; prefill slows with every cap.
    let last = rows.last().unwrap();
    assert!(f(last, "power_w") < 600.0);
    assert!(f(&rows[0], "prefill_tok_s") < 0.7 * f(last, "prefill_tok_s"));
    // J/token is the power drawn over decode tok/s; the best limit has the fewest.
    for r in rows {
        let e = f(r, "power_w") / f(r, "decode_tok_s");
        assert!((f(r, "energy_j_per_token") - e).abs() < 1e-9 * e);
    }
    let best = f(s, "best_j_per_token_w");
    let min = rows
        .iter()
        .map(|r| f(r, "energy_j_per_token"))
        .fold(f64::INFINITY, f64::min);
    let at_best = rows.iter().find(|r| f(r, "power_limit_w") == best).unwrap();
    assert_eq!(f(at_best, "energy_j_per_token"), min);
}

#[test]
fn predict_under_a_cap_is_slower_for_prefill_than_for_decode() {
    let p = |limit: &str| {
        let v = json(&[&["predict"][..], &PRO, &["--power-limit", limit]].concat());
        v["results"][0].clone()
    };
    let (full, capped) = (p("600"), p("300"));
    assert_eq!(f(&capped, "power_limit_w"), 300.0);
    let dec = f(&capped, "decode_tok_s") / f(&full, "decode_tok_s");
    let pre = f(&capped, "prefill_tok_s") / f(&full, "prefill_tok_s");
    assert!(dec > 0.9 && dec <= 1.0, "decode ratio {dec}");
    assert!(pre < dec, "prefill {pre} against decode {dec}");
    assert!(f(&capped, "ttft_s") > f(&full, "ttft_s"));
    // Energy from the power drawn: decode draws less than the 600 W rated power.
    let e = f(&full, "energy_j_per_token");
    assert!(e < 600.0 / f(&full, "decode_tok_s"));
    assert!((e - f(&full, "decode_power_w") / f(&full, "decode_tok_s")).abs() < 1e-9);
}

#[test]
fn devices_without_power_data_keep_their_rated_energy() {
    let v = json(&[
        "predict",
        "--device",
        "rtx-4090",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "q4_k_m",
    ]);
    let r = &v["results"][0];
    // Present in every row (a stream keeps its columns), null without power data.
    assert!(r["power_limit_w"].is_null());
    let e = 450.0 / f(r, "decode_tok_s");
    assert!((f(r, "energy_j_per_token") - e).abs() < 1e-9 * e);
}

#[test]
fn every_scenario_command_takes_a_power_limit() {
    let capped = |args: &[&str]| json(&[args, &["--power-limit", "250"]].concat());
    let v = capped(&[
        "fit",
        "llama-2-7b",
        "--quant",
        "q4_0",
        "--devices",
        "rtx-pro-6000-blackwell,rtx-4090",
    ]);
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "the device without power data is left out");
    assert_eq!(f(&rows[0], "power_limit_w"), 250.0);
    let v = capped(&[
        "sweep",
        "--devices",
        "rtx-pro-6000-blackwell",
        "--models",
        "llama-2-7b",
        "--quants",
        "q4_0",
    ]);
    assert_eq!(f(&v["results"][0], "power_limit_w"), 250.0);
    let v = capped(&[
        "cliff",
        "--device",
        "rtx-pro-6000-blackwell",
        "--model",
        "llama-2-7b",
        "--quant",
        "q4_0",
    ]);
    assert!(v["results"].as_array().is_some_and(|r| !r.is_empty()));
    let v = capped(&[
        "capacity",
        "--device",
        "rtx-pro-6000-blackwell",
        "--model",
        "llama-2-7b",
        "--quant",
        "q4_0",
    ]);
    assert!(f(&v["summary"], "max_streams") >= 1.0);
    let v = capped(&[
        "breakeven",
        "--device",
        "rtx-pro-6000-blackwell",
        "--model",
        "llama-2-7b",
        "--quant",
        "q4_0",
    ]);
    // The clock under the cap is found by bisection: the draw at it is the cap to rounding.
    assert!(f(&v["results"][0], "power_w") <= 250.0 * (1.0 + 1e-9));
}

#[test]
fn idle_hours_cost_in_breakeven() {
    let b = |extra: &[&str]| {
        let v = json(
            &[
                &[
                    "breakeven",
                    "--device",
                    "rtx-pro-6000-blackwell",
                    "--model",
                    "llama-2-7b",
                    "--quant",
                    "q4_0",
                    "--tokens-per-month",
                    "10M",
                ][..],
                extra,
            ]
            .concat(),
        );
        v["results"][0].clone()
    };
    let (all_day, office) = (b(&[]), b(&["--hours-per-day", "8"]));
    // Idle is the prior 5% of 600 W = 30 W; 8 hours on makes a third of the capacity.
    assert_eq!(f(&all_day, "idle_w"), 30.0);
    let cap = f(&all_day, "capacity_tokens_per_month");
    assert!((f(&office, "capacity_tokens_per_month") - cap / 3.0).abs() < 1e-6 * cap);
    // 30 W × 730.5 h / 1000 × $0.165 = $3.616 a month on around the clock.
    assert!((f(&all_day, "idle_usd_per_month") - 30.0 * 730.5 / 1000.0 * 0.165).abs() < 1e-9);
    let none = b(&["--idle-w", "0"]);
    assert!(f(&all_day, "monthly_cost_usd") > f(&none, "monthly_cost_usd"));
}

#[test]
fn plot_power_draws_a_chart() {
    let dir = std::env::temp_dir().join("tokenfit-power-plot");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("power.svg");
    tokenfit()
        .args([&["plot", "power"][..], &PRO, &["-o", out.to_str().unwrap()]].concat())
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("plateau") && svg.contains("J per generated token"));
}

#[test]
fn bad_limits_and_devices_without_power_data_exit_2() {
    tokenfit()
        .args([&["predict"][..], &PRO, &["--power-limit", "700"]].concat())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("200–600 W"));
    tokenfit()
        .args([&["power"][..], &PRO, &["--step-w", "0"]].concat())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--step-w"));
    for cmd in [
        vec![
            "power",
            "--device",
            "rtx-4090",
            "--model",
            "llama-2-7b",
            "--quant",
            "q4_0",
        ],
        vec![
            "predict",
            "--device",
            "rtx-4090",
            "--model",
            "llama-2-7b",
            "--quant",
            "q4_0",
            "--power-limit",
            "300",
        ],
    ] {
        tokenfit().args(&cmd).assert().code(2).stderr(
            predicate::str::contains("no power data").and(predicate::str::contains("power_limit")),
        );
    }
    tokenfit()
        .args([
            "breakeven",
            "--device",
            "dgx-spark",
            "--hours-per-day",
            "25",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--hours-per-day"));
}

#[test]
fn the_readme_power_examples_run_as_written() {
    // The power section moved from the README to the command reference.
    let readme = include_str!("../docs/commands.md");
    let start = readme
        .find("## Power limits")
        .expect("docs/commands.md has a power section");
    let section = &readme[start..];
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let dir = std::env::temp_dir().join("tokenfit-readme-power");
    std::fs::create_dir_all(&dir).unwrap();
    let mut ran = 0;
    for line in block.lines().filter(|l| l.starts_with("tokenfit ")) {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        tokenfit().current_dir(&dir).args(&args).assert().success();
        ran += 1;
    }
    assert_eq!(ran, 3);
}
