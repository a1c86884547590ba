//! The ceiling of llama.cpp CUDA's fused quantized matmuls (MMQ): SMs × boost clock × 1,024
//! FLOP, never above the FP16 peak, under the board's power limit; used for quantized weights
//! on the CUDA backend only.

use approx::assert_relative_eq;
use tokenfit::db::hardware::MMQ_FLOP_PER_SM_CLOCK;
use tokenfit::db::Db;
use tokenfit::scenario::{resolve, Options};

fn db() -> Db {
    Db::load(None).expect("shipped databases")
}

fn prompt(backend: Option<&str>) -> Options {
    Options {
        ctx: Some(4096),
        prompt: Some(4096),
        gen: 0,
        backend: backend.map(String::from),
        ..Options::default()
    }
}

#[test]
fn a_data_centre_gpu_runs_quantized_matmuls_at_its_sm_rate_not_its_tensor_peak() {
    let db = db();
    let h100 = db.device("h100-sxm").unwrap();
    let sms = h100.raw.compute.sms.as_ref().expect("the H100 has SM data");
    assert_eq!(sms.count, 132);
    let limit = h100.sustained_peak.0 / h100.fp16_peak.0;
    let q = h100.quant_peak.expect("a quantized-matmul ceiling");
    assert_relative_eq!(
        q.0,
        132.0 * sms.boost_clock_mhz * 1e6 * MMQ_FLOP_PER_SM_CLOCK * limit,
        max_relative = 1e-12
    );
    // About 268 TFLOP/s against the 989 TFLOP/s of the datasheet's FP16 tensor rate.
    assert!(q.0 < 0.3 * h100.fp16_peak.0, "{q:?}");
    // The CUDA backend uses it; Vulkan on the same card does not run MMQ.
    let cuda = resolve(&db, "h100-sxm", "llama-2-7b", "q4_0", &prompt(None)).unwrap();
    assert_eq!(cuda.scenario.quant_peak, Some(q));
    let vk = resolve(
        &db,
        "h100-sxm",
        "llama-2-7b",
        "q4_0",
        &prompt(Some("llama.cpp-vulkan")),
    )
    .unwrap();
    assert_eq!(vk.scenario.quant_peak, None);
}

#[test]
fn a_consumer_card_is_bound_by_the_same_rate_as_its_datasheet_peak() {
    let db = db();
    // RTX 4090: 128 SMs × 2.52 GHz × 1,024 = 330 TFLOP/s, its FP16-accumulate tensor rate.
    let d = db.device("rtx-4090").unwrap();
    let q = d.quant_peak.unwrap();
    assert_relative_eq!(q.0, d.sustained_peak.0, max_relative = 0.01);
}

#[test]
fn gpus_without_int8_tensor_cores_and_socs_keep_the_fp16_peak() {
    let db = db();
    for id in [
        "gtx-1080-ti",
        "titan-v",
        "tesla-v100-sxm2-16gb",
        "gtx-1660",
        "dgx-spark",
        "jetson-agx-orin-64gb",
    ] {
        let d = db.device(id).unwrap();
        assert!(d.quant_peak.is_none(), "{id}");
    }
}

#[test]
fn float_weights_run_against_the_fp16_peak_even_where_mmq_is_bound_by_sms() {
    let db = db();
    let s = resolve(&db, "h100-sxm", "llama-2-7b", "f16", &prompt(None))
        .unwrap()
        .scenario;
    assert!(s.quant_peak.is_some());
    let mut without = s;
    without.quant_peak = None;
    let p = &s.params;
    assert_eq!(
        s.matmul_time(p, 512.0, 512.0),
        without.matmul_time(p, 512.0, 512.0)
    );
    // Quantized weights on the same card take longer against the lower ceiling.
    let q = resolve(&db, "h100-sxm", "llama-2-7b", "q4_0", &prompt(None))
        .unwrap()
        .scenario;
    let mut q_without = q;
    q_without.quant_peak = None;
    assert!(q.matmul_time(p, 512.0, 512.0).0 > q_without.matmul_time(p, 512.0, 512.0).0);
}
