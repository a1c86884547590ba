//! The measured-trace readers: every llama-bench output format and llama-batched-bench's
//! table. Normalized CSVs, malformed and odd input: `tests/trace_inputs.rs`.

#[path = "common/traces.rs"]
mod traces;

use tokenfit::calib::read::{read_trace_str, TraceFile};
use tokenfit::calib::trace::{Test, TraceRow};
use traces::{assert_close, read};

/// JSON avg_ts ± stddev_ts of the sample run (llama-bench-format-samples/sample.json).
const JSON_PP: (f64, f64) = (577.365643, 3.551021);
const JSON_TG: (f64, f64) = (110.305175, 7.427074);

fn check_sample_rows(name: &str, t: &TraceFile, with_device: bool) {
    assert_eq!(t.rows.len(), 2, "{name}");
    assert!(t.skipped.is_empty(), "{name}: {:?}", t.skipped);
    let (pp, tg) = (&t.rows[0], &t.rows[1]);
    for r in [pp, tg] {
        if with_device {
            assert_eq!(r.device, "Intel(R) Xeon(R) Processor", "{name}");
        }
        assert_eq!(
            (r.backend.as_str(), r.model.as_str(), r.quant.as_str()),
            ("CPU", "llama 256M", "Q8_0"),
            "{name}"
        );
        // 143025408 B = 136.40 MiB, printed to 0.01 MiB; 134515008 params = 134.52 M.
        assert_close(
            r.model_size_bytes.expect("size"),
            143025408.0,
            0.005 * 1048576.0,
            name,
        );
        assert_close(r.params_b.expect("params"), 0.134515008, 0.000005, name);
        assert_eq!(r.n_depth, 0, "{name}");
    }
    assert_eq!(
        (pp.test, pp.n_prompt, pp.n_gen),
        (Test::Pp, 128, 0),
        "{name}"
    );
    assert_eq!(
        (tg.test, tg.n_prompt, tg.n_gen),
        (Test::Tg, 0, 32),
        "{name}"
    );
}

#[test]
fn json_and_jsonl_give_the_json_values() {
    let json = read("llama-bench/sample.json");
    let jsonl = read("llama-bench/sample.jsonl");
    check_sample_rows("json", &json, true);
    check_sample_rows("jsonl", &jsonl, true);
    for (t, lines) in [(&json, [1, 2]), (&jsonl, [1, 2])] {
        let (pp, tg) = (&t.rows[0], &t.rows[1]);
        assert_eq!((pp.line, tg.line), (lines[0], lines[1]));
        assert_eq!((pp.tok_s, pp.stddev_tok_s), (JSON_PP.0, Some(JSON_PP.1)));
        assert_eq!((tg.tok_s, tg.stddev_tok_s), (JSON_TG.0, Some(JSON_TG.1)));
        assert_eq!(
            pp.model_filename.as_deref(),
            Some("models/rand-0.1b-q8_0.gguf")
        );
        assert_eq!(
            (pp.n_gpu_layers, pp.flash_attn),
            (Some(-1), None),
            "flash_attn -1 is auto"
        );
        assert_eq!(
            (pp.type_k.as_deref(), pp.n_ubatch, pp.n_batch),
            (Some("f16"), Some(512), Some(2048))
        );
    }
    let strip = |t: &TraceFile| {
        t.rows
            .iter()
            .map(|r| TraceRow {
                file: String::new(),
                ..r.clone()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&json), strip(&jsonl));
}

#[test]
fn csv_and_md_agree_with_json() {
    // The samples are separate invocations of the same command, so their speeds differ by
    // run-to-run noise: each is checked against its own printed value and against the
    // JSON run within 3 %.
    let csv = read("llama-bench/sample.csv");
    let md = read("llama-bench/sample.md");
    check_sample_rows("csv", &csv, true);
    check_sample_rows("md", &md, false);
    assert_eq!(md.rows[0].device, "", "llama-bench md carries no device");
    assert_eq!((csv.rows[0].line, csv.rows[1].line), (2, 3));
    assert_eq!((md.rows[0].line, md.rows[1].line), (3, 4));
    assert_eq!(
        (csv.rows[0].tok_s, csv.rows[1].tok_s),
        (568.797489, 109.481257)
    );
    assert_eq!(
        (md.rows[0].tok_s, md.rows[0].stddev_tok_s),
        (579.71, Some(5.22))
    );
    assert_eq!(
        (md.rows[1].tok_s, md.rows[1].stddev_tok_s),
        (113.48, Some(4.10))
    );
    for t in [&csv, &md] {
        assert_close(t.rows[0].tok_s, JSON_PP.0, 0.03 * JSON_PP.0, "pp");
        assert_close(t.rows[1].tok_s, JSON_TG.0, 0.03 * JSON_TG.0, "tg");
    }
}

#[test]
fn md_with_gpu_columns_depth_and_combined_tests() {
    let md = "\
| model                          |       size |     params | backend    | ngl | n_ubatch | fa |            test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | -------: | -: | --------------: | -------------------: |
| gpt-oss 20B MXFP4 MoE          |  11.27 GiB |    20.91 B | CUDA       |  99 |     2048 |  1 |  pp2048 @ d4096 |      3445.17 ± 17.85 |
| gpt-oss 20B MXFP4 MoE          |  11.27 GiB |    20.91 B | CUDA       |  99 |     2048 |  1 |    tg32 @ d4096 |         81.72 ± 0.53 |
| gpt-oss 20B MXFP4 MoE          |  11.27 GiB |    20.91 B | CUDA       |  99 |     2048 |  1 |     pp512+tg128 |        300.00 ± 1.00 |
| glm4moe 106B.A12B Q4_K - Medium |  68.01 GiB |   110.47 B | Vulkan    |  99 |      512 |  0 |           pp512 |              22.87 |

build: eeee367de (6989)
";
    let t = read_trace_str("bench.md", md).expect("valid md");
    assert_eq!(t.rows.len(), 3);
    assert_eq!(t.skipped.len(), 1);
    assert_eq!(t.skipped[0].0, 5);
    assert!(t.skipped[0].1.contains("pp512+tg128"), "{}", t.skipped[0].1);
    let (pp, tg, glm) = (&t.rows[0], &t.rows[1], &t.rows[2]);
    assert_eq!(
        (pp.model.as_str(), pp.quant.as_str()),
        ("gpt-oss 20B", "MXFP4 MoE")
    );
    assert_eq!(
        (pp.test, pp.n_prompt, pp.n_depth, pp.tok_s),
        (Test::Pp, 2048, 4096, 3445.17)
    );
    assert_eq!(
        (tg.test, tg.n_gen, tg.n_depth, tg.tok_s),
        (Test::Tg, 32, 4096, 81.72)
    );
    assert_eq!(
        (pp.n_gpu_layers, pp.n_ubatch, pp.flash_attn),
        (Some(99), Some(2048), Some(true))
    );
    assert_close(
        pp.model_size_bytes.expect("size"),
        11.27 * 1073741824.0,
        1.0,
        "size",
    );
    assert_close(pp.params_b.expect("params"), 20.91, 1e-9, "params");
    assert_eq!(
        (glm.model.as_str(), glm.quant.as_str()),
        ("glm4moe 106B.A12B", "Q4_K - Medium")
    );
    assert_eq!(
        (glm.flash_attn, glm.stddev_tok_s, glm.line),
        (Some(false), None, 6)
    );
}

#[test]
fn md_from_old_builds() {
    // 2023 builds (discussion #4167): "mostly Q4_0" model types and "pp 512" test names.
    let md = "\
| model                | size     | params | backend | ngl | test   | t/s            |
| -------------------- | -------: | -----: | ------- | --: | ------ | -------------: |
| llama 7B mostly Q4_0 | 3.56 GiB | 6.74 B | Metal   |  99 | pp 512 | 1051.91 ± 1.57 |
| llama 7B mostly Q4_0 | 3.56 GiB | 6.74 B | Metal   |  99 | tg 128 |   61.11 ± 0.05 |
";
    let t = read_trace_str("old.md", md).expect("valid md");
    let r = &t.rows;
    assert_eq!(
        (
            r[0].model.as_str(),
            r[0].quant.as_str(),
            r[0].backend.as_str()
        ),
        ("llama 7B", "Q4_0", "Metal")
    );
    assert_eq!(
        (r[0].test, r[0].n_prompt, r[0].tok_s),
        (Test::Pp, 512, 1051.91)
    );
    assert_eq!(
        (r[1].test, r[1].n_gen, r[1].stddev_tok_s),
        (Test::Tg, 128, Some(0.05))
    );
}

#[test]
fn batched_bench_md_gives_pp_and_tg_rows_with_batch() {
    let md = "\
main: n_kv_max = 270336, n_batch = 2048, n_ubatch = 2048, flash_attn = 1, is_pp_shared = 0, n_gpu_layers = -1, n_threads = 20, n_threads_batch = 20

|    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |      T s |    S t/s |
|-------|--------|------|--------|----------|----------|----------|----------|----------|----------|
|   512 |     32 |    1 |    544 |    0.374 |  1369.01 |    0.383 |    83.64 |    0.757 |   718.94 |
|   512 |     32 |    2 |   1088 |    0.274 |  3741.35 |    0.659 |    97.14 |    0.933 |  1166.46 |
";
    let t = read_trace_str("<stdin>", md).expect("valid batched md");
    assert_eq!(t.rows.len(), 4);
    let r = &t.rows;
    assert_eq!(
        (r[0].test, r[0].n_prompt, r[0].n_gen, r[0].tok_s, r[0].batch),
        (Test::Pp, 512, 0, 1369.01, Some(1))
    );
    assert_eq!(
        (r[1].test, r[1].n_gen, r[1].n_depth, r[1].tok_s, r[1].batch),
        (Test::Tg, 32, 512, 83.64, Some(1))
    );
    assert_eq!(
        (r[2].test, r[2].tok_s, r[2].batch, r[2].line),
        (Test::Pp, 3741.35, Some(2), 6)
    );
    assert_eq!(
        (r[3].test, r[3].tok_s, r[3].batch, r[3].line),
        (Test::Tg, 97.14, Some(2), 6)
    );
    assert_eq!(
        (
            r[0].n_ubatch,
            r[0].n_batch,
            r[0].flash_attn,
            r[0].n_gpu_layers
        ),
        (Some(2048), Some(2048), Some(true), Some(-1))
    );
}
