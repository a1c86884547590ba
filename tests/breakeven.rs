//! Break-even against API pricing, energy and cost per token, end to end: the issue's worked
//! example, electricity, the never-pays-off case, `--devices all` ranking, every format, bad
//! input, the shipped price list, and the energy columns of `fit` and `predict`.

mod common;
use common::{json, number as f, tokenfit};
use predicates::prelude::*;
use serde_json::Value;
use tokenfit::db::Db;

const EXAMPLE: [&str; 11] = [
    "breakeven",
    "--device",
    "dgx-spark",
    "--price-usd",
    "4499",
    "--years",
    "3",
    "--api",
    "gpt-4o",
    "--kwh-usd",
    "0",
];

#[test]
fn the_issue_worked_example() {
    // $4,499 over 3 years = $124.97 a month; GPT-4o output at $10 per 1M, electricity
    // ignored: 124.97 / (10 / 1e6) = 12.497M output tokens a month.
    let v = json(&EXAMPLE);
    let r = &v["results"][0];
    let expected = 4499.0 / 36.0 / 10.0 * 1e6;
    let got = f(r, "breakeven_tokens_per_month");
    assert!(
        (got / expected - 1.0).abs() < 1e-3,
        "break-even {got}, expected {expected}"
    );
    assert!((f(r, "monthly_cost_usd") - 4499.0 / 36.0).abs() < 1e-6);
    assert!(f(r, "capacity_tokens_per_month") > 0.0);
    assert!(r.get("payback_months").is_some());
    // the same with the price typed in
    let typed = json(&[
        "breakeven",
        "--device",
        "dgx-spark",
        "--price-usd",
        "4499",
        "--api-usd-per-m-out",
        "10",
        "--kwh-usd",
        "0",
    ]);
    assert!((f(&typed["results"][0], "breakeven_tokens_per_month") / expected - 1.0).abs() < 1e-3);
}

#[test]
fn payback_at_a_given_volume() {
    // 25M output tokens a month at $10 per 1M, no electricity: saves $250 a month, so
    // 4499 / 250 = 18.0 months (an 8B model on this card makes far more than 25M a month).
    let v = json(&[
        "breakeven",
        "--device",
        "rtx-pro-6000-blackwell",
        "--model",
        "llama-3.1-8b",
        "--price-usd",
        "4499",
        "--api-usd-per-m-out",
        "10",
        "--kwh-usd",
        "0",
        "--tokens-per-month",
        "25M",
    ]);
    let r = &v["results"][0];
    assert_eq!(r["volume"], "given");
    assert_eq!(r["verdict"], "pays_off");
    assert!((f(r, "payback_months") / (4499.0 / 250.0) - 1.0).abs() < 1e-3);
    assert!(f(r, "capacity_tokens_per_month") > 25e6);
}

#[test]
fn electricity_raises_the_breakeven() {
    let without = json(&EXAMPLE);
    let mut args = EXAMPLE.to_vec();
    *args.last_mut().unwrap() = "0.30";
    let with = json(&args);
    let (a, b) = (&without["results"][0], &with["results"][0]);
    assert!(f(b, "breakeven_tokens_per_month") > f(a, "breakeven_tokens_per_month"));
    assert!(f(b, "electricity_usd_per_m_tokens") > 0.0);
    // energy per token = power × busy seconds per token
    let e = f(b, "power_w") * f(b, "seconds_per_output_token");
    assert!((f(b, "energy_j_per_token") / e - 1.0).abs() < 1e-9);
}

#[test]
fn never_pays_off_when_breakeven_exceeds_capacity() {
    // $100,000 over 3 years against $10 per 1M needs 278M tokens a month; a 70B model on a
    // DGX Spark makes a few tens of millions.
    let args = [
        "breakeven",
        "--device",
        "dgx-spark",
        "--model",
        "llama-3.3-70b",
        "--price-usd",
        "100000",
        "--api-usd-per-m-out",
        "10",
    ];
    let v = json(&args);
    let r = &v["results"][0];
    assert!(f(r, "breakeven_tokens_per_month") > f(r, "capacity_tokens_per_month"));
    assert!(r["payback_months"].is_null(), "{r}");
    assert_eq!(r["verdict"], "beyond_capacity");
    assert!(r["explanation"]
        .as_str()
        .unwrap()
        .starts_with("Never pays off"));
    // The capacity at the best batch is reported beside the one-stream capacity.
    assert!(r["best_concurrency"].as_u64().unwrap() >= 1);
    assert!(f(r, "capacity_tokens_per_month_batched") >= f(r, "capacity_tokens_per_month") * 0.999);
    tokenfit().args(args).assert().success().stdout(
        predicate::str::contains("Never pays off").and(predicate::str::contains("streams at once")),
    );
}

#[test]
fn devices_all_ranks_by_payback() {
    let v = json(&["breakeven", "--devices", "all", "--api", "gpt-4o"]);
    let rows = v["results"].as_array().unwrap();
    assert!(rows.len() >= 20, "{} rows", rows.len());
    let memory = |r: &Value| match r["memory_verdict"].as_str().unwrap() {
        "fits" => 0,
        "spills" => 1,
        _ => 2,
    };
    let payback = |r: &Value| r["payback_months"].as_f64().unwrap_or(f64::INFINITY);
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(
            memory(a) <= memory(b),
            "{} before {}",
            a["device"],
            b["device"]
        );
        if memory(a) == memory(b) {
            assert!(
                payback(a) <= payback(b),
                "{} before {}",
                a["device"],
                b["device"]
            );
        }
        assert!(a["price_usd"].as_f64().unwrap() > 0.0);
    }
    assert!(rows.iter().any(|r| r["verdict"] == "pays_off"));
}

#[test]
fn every_format_renders() {
    let one = ["breakeven", "--device", "rtx-4090", "--api", "gpt-4o"];
    let many = [
        "breakeven",
        "--devices",
        "rtx-4090,dgx-spark,strix-halo-128gb",
    ];
    tokenfit()
        .args(one)
        .assert()
        .success()
        .stdout(predicate::str::contains("break-even M output tokens/month"));
    tokenfit()
        .args(many)
        .assert()
        .success()
        .stdout(predicate::str::contains("payback months"));
    for args in [&one[..], &many[..]] {
        tokenfit()
            .args(args)
            .args(["--format", "csv"])
            .assert()
            .success()
            .stdout(predicate::str::starts_with("device,model,quant,backend"));
        tokenfit()
            .args(args)
            .args(["--format", "markdown"])
            .assert()
            .success()
            .stdout(predicate::str::contains("| ---"));
        let v = json(args);
        for r in v["results"].as_array().unwrap() {
            for k in [
                "monthly_cost_usd",
                "breakeven_tokens_per_month",
                "payback_months",
                "capacity_tokens_per_month",
            ] {
                assert!(r.get(k).is_some(), "result lacks '{k}': {r}");
            }
        }
    }
    assert_eq!(json(&many)["results"].as_array().unwrap().len(), 3);
    tokenfit()
        .args(["apis"])
        .assert()
        .success()
        .stdout(predicate::str::contains("gpt-4o"));
}

#[test]
fn bad_input_exits_2() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["--price-usd", "-5"],
            "--price-usd must be zero or positive",
        ),
        (&["--years", "0"], "--years must be more than zero"),
        (&["--api", "gpt-4x"], "did you mean"),
        (&["--kwh-usd", "-0.1"], "--kwh-usd must be zero or positive"),
        (&["--api-usd-per-m-out", "-10"], "must be zero or positive"),
        (&["--tokens-per-month", "lots"], "not a token volume"),
        (&["--input-per-output", "-1"], "must be zero or positive"),
    ];
    for (extra, msg) in cases {
        tokenfit()
            .args(["breakeven", "--device", "dgx-spark"])
            .args(extra)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
    tokenfit()
        .args(["breakeven", "--device", "h100-sxm"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--price-usd"));
    tokenfit().args(["breakeven"]).assert().code(2);
}

#[test]
fn api_pricing_has_twenty_offerings_with_source_and_date() {
    let db = Db::builtin().expect("shipped databases load");
    assert!(db.offerings.len() >= 20, "{} offerings", db.offerings.len());
    for o in &db.offerings {
        assert!(o.source.starts_with("https://"), "{}: {}", o.id, o.source);
        assert!(o.as_of.starts_with("20"), "{}: {}", o.id, o.as_of);
        assert!(
            o.input_usd_per_m > 0.0 && o.output_usd_per_m > 0.0,
            "{}",
            o.id
        );
    }
    for id in [
        "gpt-4o",
        "gpt-4.1",
        "gpt-5",
        "claude-sonnet-4.5",
        "gemini-2.5-pro",
        "deepseek-chat",
        "groq-llama-3.3-70b",
        "groq-qwen3-32b",
    ] {
        db.offering(id).unwrap_or_else(|e| panic!("{e}"));
    }
    let gpt4o = db.offering("gpt-4o").unwrap();
    assert_eq!(
        (
            gpt4o.input_usd_per_m,
            gpt4o.cached_input_usd_per_m,
            gpt4o.output_usd_per_m
        ),
        (2.5, Some(1.25), 10.0)
    );
    assert!(db.local_cost.kwh_usd > 0.0 && db.local_cost.amortization_years > 0.0);
}

#[test]
fn fit_and_predict_carry_energy_and_cost_per_token() {
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
    // J/token = 450 W / decode tok/s
    let e = 450.0 / f(r, "decode_tok_s");
    assert!((f(r, "energy_j_per_token") / e - 1.0).abs() < 1e-9);
    assert!(f(r, "local_usd_per_m_tokens") > 0.0);
    let fit = json(&["fit", "llama-3.1-8b", "--devices", "rtx-4090,h100-sxm"]);
    for r in fit["results"].as_array().unwrap() {
        assert!(r["energy_j_per_token"].as_f64().unwrap() > 0.0);
        // h100-sxm has no price: no cost per token
        assert_eq!(
            r["local_usd_per_m_tokens"].is_null(),
            r["price_usd"].is_null(),
            "{r}"
        );
    }
    tokenfit()
        .args(["fit", "llama-3.1-8b", "--devices", "rtx-4090", "--wide"])
        .assert()
        .success()
        .stdout(predicate::str::contains("J/token"));
}
