//! The memory a table shows is the memory its verdict weighs: on a discrete GPU llama.cpp
//! keeps the token embedding in host memory, so what the fast tier must hold (`need`,
//! `fast_need_bytes`) is the footprint less that table, and a model "fits" exactly when this
//! need is within the usable fast memory (headroom ≥ 0).

mod common;

use common::number;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn stdout_of(args: &[&str]) -> String {
    let out = common::tokenfit().args(args).output().expect("binary runs");
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn rank_shows_the_fast_need_its_verdict_weighs() {
    // gemma-3-27b q6_k on an RTX 4090 at 4K: the whole footprint (~23.2 GiB) is over the
    // usable 23.1 GiB, the part the GPU holds is not.
    let args = ["rank", "--device", "rtx-4090"];
    let j = common::json(&args);
    let rows = j["results"].as_array().expect("results");
    assert!(rows.len() > 10, "{j}");
    let table = stdout_of(&args);
    let mut over_in_total = 0;
    for r in rows {
        let (total, need, usable) = (
            number(r, "total_bytes"),
            number(r, "fast_need_bytes"),
            number(r, "usable_bytes"),
        );
        assert_eq!(r["verdict"], "fits", "{r}");
        assert!(
            need <= usable + 1.0,
            "fits with need {need} > usable {usable}: {r}"
        );
        // The embedding table stays on the host: the need is below the footprint.
        assert!(need < total, "{r}");
        if total > usable {
            over_in_total += 1;
        }
        // The table shows the same need.
        let model = r["model"].as_str().expect("model");
        let cell = format!("{:.1} / {:.1}", need / GIB, usable / GIB);
        let line = table
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(model))
            .unwrap_or_else(|| panic!("{model} in {table}"));
        assert!(line.contains(&cell), "{cell} in {line}");
    }
    assert!(
        over_in_total > 0,
        "some row's footprint exceeds fast memory while its need does not"
    );
}

#[test]
fn fit_headroom_is_usable_less_need_and_agrees_with_the_verdict() {
    let j = common::json(&["fit", "gemma-3-27b", "--quant", "q6_k"]);
    let rows = j["results"].as_array().expect("results");
    assert!(rows.len() > 50, "{j}");
    for r in rows {
        let (need, usable, headroom) = (
            number(r, "fast_need_bytes"),
            number(r, "usable_bytes"),
            number(r, "headroom_bytes"),
        );
        assert!((headroom - (usable - need)).abs() <= 1.0, "{r}");
        let fits = r["verdict"] == "fits";
        assert_eq!(fits, headroom >= -1.0, "verdict against headroom: {r}");
        // Unified memory and CPUs keep every byte in the one tier.
        if r["backend"] == "llama.cpp-metal" || r["backend"] == "llama.cpp-cpu" {
            assert_eq!(need, number(r, "total_bytes"), "{r}");
        }
    }
}
