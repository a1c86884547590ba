//! Charts: every chart rendered to SVG and to PNG from real results. The SVG must carry the
//! title and the axis labels as text; the PNG must be a PNG of 1200×800 (signature and IHDR
//! read by hand). Then the CLI: `plot cliff`, `--plot` on `fit`, and a bad extension.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use tokenfit::advise::cliff::cliff;
use tokenfit::advise::fit::fit;
use tokenfit::calib::validate::{validate, Holdout};
use tokenfit::db::Db;
use tokenfit::report::plot::{self, BreakevenSeries, Roofline};
use tokenfit::scenario::{resolve, Options};

/// A fresh folder for one test's files.
fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("plot")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Width and height from a PNG's IHDR, if the bytes are a PNG.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

/// Renders with `draw` to `name.svg` and `name.png` in `d`; checks both.
fn check_both(d: &Path, name: &str, texts: &[&str], draw: impl Fn(&Path)) {
    let svg = d.join(format!("{name}.svg"));
    draw(&svg);
    let text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(text.starts_with("<svg"), "{name}.svg is not an SVG");
    assert!(text.contains(r#"width="1200""#) && text.contains(r#"height="800""#));
    for t in texts {
        assert!(text.contains(t), "{name}.svg lacks '{t}'");
    }
    let png = d.join(format!("{name}.png"));
    draw(&png);
    let bytes = std::fs::read(&png).expect("png written");
    assert_eq!(png_size(&bytes), Some((1200, 800)), "{name}.png");
    // Something was drawn: a blank 1200×800 PNG compresses to a few kB.
    assert!(
        bytes.len() > 20_000,
        "{name}.png is only {} bytes",
        bytes.len()
    );
    // No temporary file left beside it.
    let left: Vec<_> = std::fs::read_dir(d)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tokenfit-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn cliff_chart_renders_with_title_and_axes() {
    let db = Db::load(None).unwrap();
    let model = db.model("qwen3-32b").unwrap();
    let quant = db.quant("q4_k_m").unwrap();
    let cliffs: Vec<_> = ["rtx-4090", "apple-m4-max"]
        .iter()
        .map(|d| {
            cliff(
                &db,
                db.device(d).unwrap(),
                model,
                quant,
                &Options::default(),
            )
            .unwrap()
            .0
        })
        .collect();
    assert!(
        cliffs[0].cliff_ctx.is_some(),
        "the 4090 has a cliff to mark"
    );
    check_both(
        &dir("cliff"),
        "cliff",
        &[
            "Qwen3 32B cliff",
            "context filled (tokens, log scale)",
            "decode speed (tok/s, log scale)",
            "rtx-4090 (cliff at",
            "apple-m4-max",
            "vram → host-ram",
        ],
        |p| plot::cliff_chart(&cliffs, "Qwen3 32B cliff", p).unwrap(),
    );
}

#[test]
fn fit_chart_renders_ranked_bars() {
    let db = Db::load(None).unwrap();
    let model = db.model("llama-3.3-70b").unwrap();
    let quant = db.quant("q4_k_m").unwrap();
    let devices: Vec<_> = db.devices.iter().collect();
    let o = Options {
        ctx: Some(32768),
        prompt: Some(32768),
        gen: 0,
        ..Options::default()
    };
    let (rows, _) = fit(&db, model, quant, &devices, &o).unwrap();
    check_both(
        &dir("fit"),
        "fit",
        &[
            "Llama 70B fit",
            "decode speed with the cache full (tok/s)",
            "device (ranked)",
            "fits in fast memory",
            "spills to host memory",
            &rows[0].device,
            &format!("top {} of {} devices", plot::FIT_CHART_MAX_ROWS, rows.len()),
        ],
        |p| plot::fit_chart(&rows, "Llama 70B fit", p).unwrap(),
    );
}

#[test]
fn calibration_chart_renders_a_validate_run() {
    let db = Db::load(None).unwrap();
    let file = Path::new("tests/fixtures/normalized/llamacpp_repo_benches_llamabench.csv");
    let loaded = tokenfit::calib::run::load(&db, &[file]).unwrap();
    let rows = validate(&db, &loaded.samples, Holdout::Shipped).unwrap();
    assert!(!rows.is_empty());
    check_both(
        &dir("calibration"),
        "calibration",
        &[
            "Calibration check",
            "measured (tok/s, log scale)",
            "predicted (tok/s, log scale)",
            "±10% band",
            "predicted = measured",
            "within ±10%",
            &rows[0].backend,
        ],
        |p| plot::calibration_chart(&rows, "Calibration check", p).unwrap(),
    );
}

#[test]
fn breakeven_chart_marks_the_crossing() {
    let series = [
        BreakevenSeries {
            label: "dgx-spark".into(),
            purchase_usd: 3999.0,
            running_usd_per_month: 17.0,
            api_usd_per_month: 152.0,
        },
        BreakevenSeries {
            label: "rtx-5090".into(),
            purchase_usd: 2000.0,
            running_usd_per_month: 40.0,
            api_usd_per_month: 152.0,
        },
    ];
    // 3999 / (152 − 17) = 29.6 months; 2000 / (152 − 40) = 17.9 months.
    assert!((series[0].crossing_months().unwrap() - 29.62).abs() < 0.01);
    check_both(
        &dir("breakeven"),
        "breakeven",
        &[
            "Break-even test",
            "months since purchase",
            "cumulative cost (USD)",
            "API ($152/month)",
            "dgx-spark: $3999 + $17/month electricity — pays for itself after 29.6 months",
            "pays for itself after 17.9 months",
            "amortized over 36 months",
        ],
        |p| plot::breakeven_chart(&series, 40.0, Some(36.0), "Break-even test", p).unwrap(),
    );
}

#[test]
fn roofline_places_decode_below_the_bandwidth_roof() {
    let db = Db::load(None).unwrap();
    let o = Options {
        prompt: Some(4096),
        ..Options::default()
    };
    let r = resolve(&db, "rtx-4090", "llama-3.1-8b", "q4_k_m", &o).unwrap();
    let roof = Roofline::of(&r.scenario);
    assert_eq!(roof.points.len(), 2);
    let bw = roof.fast_bandwidth.0;
    for p in &roof.points {
        // No point above its roof: attained ≤ min(P, I · BW).
        let ceiling = roof.peak.0.min(p.flop_per_byte * bw);
        assert!(p.attained.0 <= ceiling * 1.0001, "{p:?} above {ceiling}");
    }
    // Decode is memory-bound (left of the ridge), prefill of 512-token batches right of it.
    assert!(roof.points[0].flop_per_byte < roof.ridge_flop_per_byte());
    assert!(roof.points[1].flop_per_byte > roof.points[0].flop_per_byte * 100.0);
    check_both(
        &dir("roofline"),
        "roofline",
        &[
            "Roofline test",
            "arithmetic intensity (FLOP/byte, log scale)",
            "attainable compute (TFLOP/s, log scale)",
            "vram roof",
            "decode at",
            "prefill of 4096 tokens",
        ],
        |p| plot::roofline_chart(&roof, "Roofline test", p).unwrap(),
    );
}

#[test]
fn a_bad_extension_is_an_input_error() {
    let d = dir("bad-ext");
    let e = plot::breakeven_chart(
        &[BreakevenSeries {
            label: "x".into(),
            purchase_usd: 1.0,
            running_usd_per_month: 0.0,
            api_usd_per_month: 1.0,
        }],
        12.0,
        None,
        "t",
        &d.join("chart.jpg"),
    )
    .unwrap_err();
    assert!(matches!(e, tokenfit::Error::Input(_)), "{e}");
    assert!(!d.join("chart.jpg").exists());
}

fn tokenfit() -> Command {
    let mut c = Command::cargo_bin("tokenfit").expect("binary builds");
    c.env_remove("TOKENFIT_DB");
    c.env(
        "TOKENFIT_CONFIG_DIR",
        std::env::temp_dir().join("tokenfit-plot-no-config"),
    );
    c
}

#[test]
fn cli_plot_cliff_writes_a_png() {
    let d = dir("cli-cliff");
    let out = d.join("x.png");
    tokenfit()
        .args(["plot", "cliff", "--model", "qwen3-32b", "--quant", "q4_k_m"])
        .args(["--devices", "rtx-4090,apple-m4-max", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout("");
    let bytes = std::fs::read(&out).expect("png written");
    assert_eq!(png_size(&bytes), Some((1200, 800)));
}

#[test]
fn cli_plot_with_a_bad_extension_exits_2() {
    let d = dir("cli-bad");
    tokenfit()
        .args(["plot", "cliff", "--model", "qwen3-32b", "--quant", "q4_k_m"])
        .args(["--devices", "rtx-4090", "-o"])
        .arg(d.join("x.jpg"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".svg").and(predicate::str::contains(".png")));
    assert!(!d.join("x.jpg").exists());
    // Without -o there is nowhere to draw.
    tokenfit()
        .args(["plot", "cliff", "--model", "qwen3-32b", "--quant", "q4_k_m"])
        .args(["--devices", "rtx-4090"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-o FILE.svg"));
    // --plot checks its extension before any work.
    tokenfit()
        .args(["fit", "qwen3-32b", "--devices", "rtx-4090", "--plot"])
        .arg(d.join("x.gif"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".svg or .png"));
}

#[test]
fn cli_fit_plot_draws_beside_the_table() {
    let d = dir("cli-fit");
    let svg = d.join("fit.svg");
    tokenfit()
        .args([
            "fit",
            "qwen3-32b",
            "--devices",
            "rtx-4090,apple-m4-max",
            "--plot",
        ])
        .arg(&svg)
        .assert()
        .success()
        .stdout(predicate::str::contains("rtx-4090"));
    let text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(text.contains("Qwen3 32B"));
    assert!(text.contains("decode speed with the cache full (tok/s)"));
}

#[test]
fn a_missing_directory_is_named() {
    let d = dir("no-dir");
    let out = d.join("absent").join("x.svg");
    tokenfit()
        .args(["plot", "cliff", "--model", "qwen3-32b", "--quant", "q4_k_m"])
        .args(["--devices", "rtx-4090", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no such directory").and(predicate::str::contains("absent")),
        );
    assert!(!d.join("absent").exists());
}
