//! The CPU backend against real llama-bench runs on one machine (docs/llama-cpu.md): the
//! check trace of `scripts/llama-cpu/run.sh`, predicted with the shipped calibration from
//! nothing but what `tokenfit detect --save` wrote on that machine and the model shapes read
//! from the GGUF headers. None of its shapes, prompt sizes or depths is in the CPU kernels'
//! calibration trace.

mod common;

use common::{json_with, tokenfit_in};
use serde_json::Value;
use std::path::PathBuf;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/llama-cpu")
        .join(p)
}

/// `validate` of a check trace, as the script runs it, with the machine as `detect --save`
/// described it (`config`) and the models of the fixture.
fn validate(trace: &str, config: &str) -> Value {
    let (db, trace) = (fixture("db"), fixture(trace));
    let args = [
        "--db",
        db.to_str().unwrap(),
        "validate",
        trace.to_str().unwrap(),
    ];
    json_with(tokenfit_in(&fixture(config)), &args)
}

fn validate_check_trace() -> Value {
    validate("this-machine-2026-12-07.csv", "config")
}

/// Decode and prefill MAPE of a validated check trace, every row mapped and predicted by
/// the CPU kernels on the saved machine.
fn mapes(v: &Value) -> (f64, f64) {
    let s = &v["summary"];
    assert_eq!(s["holdout"], "shipped");
    assert_eq!(s["rows_unmapped"], 0, "{s}");
    assert_eq!(s["tg"]["n"], 22);
    assert_eq!(s["pp"]["n"], 22);
    for r in v["rows"].as_array().unwrap() {
        assert_eq!(r["device"], "this", "{r}");
        assert_eq!(r["efficiency"], "cpu-kernels", "{r}");
    }
    (
        s["tg"]["mape_pct"].as_f64().unwrap(),
        s["pp"]["mape_pct"].as_f64().unwrap(),
    )
}

/// The two latest runs of the script (traces and machine files byte for byte) meet the targets:
/// decode MAPE at most 12 %, prefill at most 20 %.
#[test]
fn latest_runs_meet_the_targets() {
    // run-b: the script as a developer runs it; run-c: as .ci/run runs it (debug binary).
    for run in ["run-b", "run-c"] {
        let (tg, pp) = mapes(&validate(
            &format!("{run}/trace.csv"),
            &format!("{run}/config"),
        ));
        assert!(
            tg <= 12.0,
            "{run}: decode MAPE {tg:.1}% over the 12% target"
        );
        assert!(
            pp <= 20.0,
            "{run}: prefill MAPE {pp:.1}% over the 20% target"
        );
    }
}

/// An Intel Xeon instance (AVX-512, AMX) has its own kernel fit, made from one run of the
/// script there (`run-xeon`). A second run on such an instance, which that fit never saw
/// (`run-xeon-2`), meets the targets; with the Zen 4 fit it was 57 % off in decode. The EPYC
/// machine, which lacks AMX, keeps the Zen 4 fit (the runs above).
#[test]
fn a_xeon_run_the_xeon_fit_never_saw_meets_the_targets() {
    let (tg, pp) = mapes(&validate("run-xeon-2/trace.csv", "run-xeon-2/config"));
    assert!(tg <= 12.0, "decode MAPE {tg:.1}% over the 12% target");
    assert!(pp <= 20.0, "prefill MAPE {pp:.1}% over the 20% target");
}

/// The earlier run (the same configurations; runs differ by 9 % row by row): decode 13.3 %,
/// over the target by about the noise between runs (docs/llama-cpu.md); prefill within it.
#[test]
fn earlier_run_within_run_to_run_noise_of_the_targets() {
    let (tg, pp) = mapes(&validate_check_trace());
    assert!(tg <= 15.0, "decode MAPE {tg:.1}%");
    assert!(pp <= 20.0, "prefill MAPE {pp:.1}% over the 20% target");
}

/// Threads, quant kernels and flash attention at depth move the prediction the way the
/// measurements move.
#[test]
fn threads_quants_and_flash_attention_order_as_measured() {
    let v = validate_check_trace();
    let rows = v["rows"].as_array().unwrap();
    let pred = |line: u64| -> f64 {
        rows.iter()
            .find(|r| r["line"] == line)
            .and_then(|r| r["predicted_tok_s"].as_f64())
            .unwrap_or_else(|| panic!("line {line}"))
    };
    // rand-0.2b at depth 0 (lines of the fixture): pp256 Q4_0 1 thread (2), 2 threads (4),
    // Q8_0 1 thread (6), F16 1 thread (10). Measured: 466, 830, 384, 321 tok/s.
    assert!(pred(4) > 1.5 * pred(2), "2 threads prefill faster than 1");
    assert!(
        pred(2) > pred(6) && pred(6) > pred(10),
        "Q4_0 > Q8_0 > F16 prefill"
    );
    // Decode of the same files at 1 thread (3, 7, 11): measured 172, 90, 71 tok/s.
    assert!(
        pred(3) > pred(7) && pred(7) > pred(11),
        "Q4_0 > Q8_0 > F16 decode"
    );
    // rand-0.4b-q4_0 decode at depth 4096, 2 threads: flash attention off (38) measured 46.4
    // tok/s, on (42) 32.0: the fused CPU kernel is the slower one at depth.
    assert!(pred(38) > pred(42), "flash attention slower at depth 4096");
}
