//! A sweep row is the prediction `predict` makes for the same scenario (cache full to the
//! context after a prompt that long): its interval and its extrapolation reasons included,
//! at every context of the sweep, not only the first.

mod common;

use common::json;

#[test]
fn every_context_of_a_sweep_is_predicted_as_predict_does() {
    let sweep = json(&[
        "sweep",
        "--devices",
        "rtx-4090,strix-halo-128gb",
        "--models",
        "llama-3.1-8b",
        "--quants",
        "q4_k_m",
        "--ctx",
        "1k,32k,128k",
    ]);
    let rows = sweep["results"].as_array().expect("rows");
    assert_eq!(rows.len(), 6);
    for r in rows {
        let ctx = r["ctx"].as_u64().expect("ctx").to_string();
        let device = r["device"].as_str().expect("device");
        let p = json(&[
            "predict",
            "--device",
            device,
            "--model",
            "llama-3.1-8b",
            "--quant",
            "q4_k_m",
            "--ctx",
            &ctx,
            "--prompt",
            &ctx,
            "--gen",
            "0",
        ]);
        let p = &p["results"][0];
        for key in [
            "decode_tok_s",
            "decode_tok_s_lo",
            "decode_tok_s_hi",
            "prefill_tok_s",
            "prefill_tok_s_lo",
            "prefill_tok_s_hi",
            "extrapolation",
            "verdict",
        ] {
            assert_eq!(r[key], p[key], "{device} at {ctx}: {key}");
        }
    }
}
