//! The shipped databases: every file loads and validates, required entries exist with the
//! specs the issue names, and every model's computed parameter count is within 1% of the
//! published one.

use tokenfit::db::Db;
use tokenfit::model::params::param_groups;

fn db() -> Db {
    Db::builtin().expect("shipped databases load and validate")
}

#[test]
fn every_shipped_file_loads_and_validates() {
    let db = db();
    assert!(db.devices.len() >= 40, "{} devices", db.devices.len());
    assert!(db.models.len() >= 30, "{} models", db.models.len());
    assert!(db.files.iter().any(|f| f.ends_with("quants.yaml")));
    for d in &db.devices {
        assert!(d.fast.usable.0 <= d.fast.capacity.0, "{}", d.id());
        assert!(!d.raw.sources.is_empty(), "{}", d.id());
    }
}

#[test]
fn required_devices_exist_with_their_specs() {
    let db = db();
    let required = [
        "rtx-pro-6000-blackwell",
        "apple-m5-max-128gb",
        "dgx-spark",
        "strix-halo-128gb",
        "rtx-4090",
        "rtx-3090",
        "rtx-5090",
        "rtx-4080",
        "rtx-3080",
        "h100-sxm",
        "h100-pcie",
        "h200",
        "a100-80gb",
        "l40s",
        "rx-7900-xtx",
        "mi300x",
        "apple-m1-max",
        "apple-m2-ultra",
        "apple-m3-max",
        "apple-m3-ultra",
        "apple-m4-max",
        "apple-m4-pro",
        "cpu-desktop-ddr5-6000-2ch",
        "cpu-epyc-9004-12ch-ddr5-4800",
    ];
    for id in required {
        assert!(
            db.devices.iter().any(|d| d.id() == id),
            "missing device {id}"
        );
    }
    let spec = |id: &str| {
        let d = db.device(id).unwrap();
        (d.fast.capacity.gib(), d.fast.bandwidth.gb_per_s())
    };
    assert_eq!(spec("rtx-pro-6000-blackwell"), (96.0, 1792.0));
    assert_eq!(spec("apple-m5-max-128gb").1, 614.0);
    assert_eq!(spec("dgx-spark"), (128.0, 273.0));
    assert_eq!(spec("strix-halo-128gb"), (128.0, 256.0));
    let cpu = db.device("cpu-desktop-ddr5-6000-2ch").unwrap();
    assert_eq!(cpu.raw.kind, tokenfit::db::hardware::DeviceKind::Cpu);
}

#[test]
fn required_models_exist() {
    let db = db();
    for id in [
        "llama-2-7b",
        "llama-3.1-8b",
        "llama-3.3-70b",
        "llama-3.1-405b",
        "qwen3.6-27b",
        "qwen3.6-35b-a3b",
        "qwen3-30b-a3b",
        "qwen3-32b",
        "qwen3-235b-a22b",
        "gpt-oss-20b",
        "gpt-oss-120b",
        "deepseek-v3",
        "gemma-3-27b",
        "mistral-small-3.1-24b",
        "mixtral-8x7b",
        "glm-4.5-air",
    ] {
        assert!(db.models.iter().any(|m| m.id == id), "missing model {id}");
    }
}

#[test]
fn computed_parameter_counts_match_published_within_one_percent() {
    let db = db();
    let mut failures = Vec::new();
    for m in &db.models {
        let p = param_groups(m);
        let total = p.total() / 1e9;
        let active = p.active_on_basis(m.published.active_basis.as_deref()) / 1e9;
        let et = (total / m.published.total_params_b - 1.0).abs();
        let ea = (active / m.published.active_params_b - 1.0).abs();
        // A nominal figure ("A3B") is a rounding to whole billions: check it as one.
        let active_ok = if m.published.active_nominal {
            (active - m.published.active_params_b).abs() <= 0.5
        } else {
            ea <= 0.01
        };
        if et > 0.01 || !active_ok {
            failures.push(format!(
                "{}: total {total:.3} vs {} ({:.2}%), active {active:.3} vs {} ({:.2}%)",
                m.id,
                m.published.total_params_b,
                et * 100.0,
                m.published.active_params_b,
                ea * 100.0
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn required_quants_and_kv_types_exist() {
    let db = db();
    for q in [
        "f32",
        "f16",
        "bf16",
        "q8_0",
        "q6_k",
        "q5_k_m",
        "q5_0",
        "q4_k_m",
        "q4_k_s",
        "q4_0",
        "iq4_xs",
        "q3_k_m",
        "q2_k",
        "mxfp4_moe",
        "fp8",
        "nvfp4",
    ] {
        assert!(db.quant(q).is_ok(), "missing quant {q}");
    }
    for k in ["f16", "bf16", "q8_0", "q4_0", "fp8"] {
        assert!(db.kv_type(k).is_ok(), "missing KV type {k}");
    }
    // Q8_0: 34 bytes per 32 weights.
    assert!((db.quant("q8_0").unwrap().bpw - 8.5).abs() < 1e-9);
}

#[test]
fn every_device_has_a_default_backend_and_a_calibration_family() {
    let db = db();
    for d in &db.devices {
        assert!(
            db.default_backend(d).is_ok(),
            "{} has no default backend",
            d.id()
        );
    }
}

#[test]
fn a_unified_soc_does_not_borrow_the_family_fit_of_discrete_cards() {
    use tokenfit::db::calibration::EfficiencyEntry;
    use tokenfit::db::hardware::DeviceKind;
    use tokenfit::db::Provenance;
    let db = db();
    let base = db.prior("", "llama.cpp-cuda");
    let at = |family: Option<&str>, kind: DeviceKind, compute_frac: f64| EfficiencyEntry {
        backend: "llama.cpp-cuda".into(),
        device: None,
        family: family.map(String::from),
        kind: Some(kind),
        vendor: None,
        eff: tokenfit::db::calibration::Efficiency {
            compute_frac,
            ..base
        },
        rows: None,
        quality: None,
        source: None,
    };
    // The Blackwell family fitted on discrete cards only, and the backend's unified-SoC level.
    let fitted = [
        at(Some("nvidia-blackwell"), DeviceKind::DiscreteGpu, 0.8),
        at(None, DeviceKind::UnifiedSoc, 0.35),
    ];
    let card = db.device("rtx-5090").unwrap();
    let spark = db.device("dgx-spark").unwrap();
    assert_eq!(
        spark.raw.family, card.raw.family,
        "both are nvidia-blackwell"
    );
    let (e, p) = db.efficiency_in(&fitted, card, "llama.cpp-cuda");
    assert_eq!((e.compute_frac, p), (0.8, Provenance::Family));
    let (e, p) = db.efficiency_in(&fitted, spark, "llama.cpp-cuda");
    assert_eq!((e.compute_frac, p), (0.35, Provenance::Kind));
}

#[test]
fn a_unified_soc_borrows_its_vendors_fit_of_the_kind_before_the_kinds() {
    use tokenfit::db::calibration::{Efficiency, EfficiencyEntry};
    use tokenfit::db::hardware::DeviceKind;
    use tokenfit::db::Provenance;
    let db = db();
    let base = db.prior("", "llama.cpp-vulkan");
    let at = |vendor: Option<&str>, compute_frac: f64| EfficiencyEntry {
        backend: "llama.cpp-vulkan".into(),
        device: None,
        family: None,
        kind: Some(DeviceKind::UnifiedSoc),
        vendor: vendor.map(String::from),
        eff: Efficiency {
            compute_frac,
            ..base
        },
        rows: None,
        quality: None,
        source: None,
    };
    // Apple GPUs through Vulkan reach more of their (FP32-rate) peak than AMD's SoC of its
    // (dual-issue WMMA) one: the vendor's entry comes first, the kind's serves the rest.
    let fitted = [at(Some("apple"), 0.6), at(Some("amd"), 0.3), at(None, 0.45)];
    let eff = |id: &str| {
        let (e, p) = db.efficiency_in(&fitted, db.device(id).unwrap(), "llama.cpp-vulkan");
        assert_eq!(p, Provenance::Kind, "{id}");
        e.compute_frac
    };
    assert_eq!(eff("strix-halo-128gb"), 0.3);
    assert_eq!(eff("apple-m4-max"), 0.6);
    assert_eq!(eff("dgx-spark"), 0.45);
}

#[test]
fn every_device_has_a_dated_sourced_price_or_notes_saying_why_not() {
    let db = db();
    let mut priced = 0;
    for d in &db.devices {
        match &d.raw.price {
            Some(p) => {
                priced += 1;
                assert!(p.usd > 0.0 && !p.source.trim().is_empty(), "{}", d.id());
                assert!(p.as_of.len() >= 4, "{}: as_of {}", d.id(), p.as_of);
            }
            None => {
                let notes = match &d.raw.notes {
                    Some(tokenfit::db::Text::One(s)) => s.to_lowercase(),
                    Some(tokenfit::db::Text::Many(v)) => v.join(" ").to_lowercase(),
                    None => String::new(),
                };
                assert!(
                    notes.contains("price") || notes.contains("msrp"),
                    "{} has no price and its notes do not say why",
                    d.id()
                );
            }
        }
    }
    // The buyable consumer and workstation cards, Macs, DGX Spark and boards carry one.
    for id in [
        "rtx-4090",
        "rtx-3090",
        "rx-7900-xt",
        "rx-9070-xt",
        "intel-arc-a770",
        "rtx-6000-ada",
        "rtx-a4000",
        "rtx-5000-ada",
        "apple-m2-max",
        "apple-m5",
        "dgx-spark",
        "cpu-raspberry-pi-5-8gb",
    ] {
        assert!(db.device(id).unwrap().price_usd().is_some(), "{id}");
    }
    assert!(priced * 2 > db.devices.len(), "{priced} priced");
}
