//! The measured-trace readers: every llama-bench output format, llama-batched-bench's
//! table, the normalized CSVs, and malformed input (errors at file:line, never a panic).

use std::path::PathBuf;

use tokenfit::calib::read::{read_trace_file, read_trace_str, TraceFile};
use tokenfit::calib::trace::{Test, TraceRow};
use tokenfit::Error;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn read(rel: &str) -> TraceFile {
    read_trace_file(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The line of a parse error, failing the test on anything else.
fn parse_error_line(result: tokenfit::Result<TraceFile>) -> Option<usize> {
    match result {
        Err(Error::Parse { line, .. }) => line,
        Err(other) => panic!("expected a parse error, got {other}"),
        Ok(t) => panic!("expected a parse error, got {} rows", t.rows.len()),
    }
}

fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} ± {tol}"
    );
}

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

#[test]
fn every_shared_normalized_csv_reads() {
    let dir = fixture("normalized");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 9);
    for path in files {
        let t = read_trace_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.rows.len(), 19, "{}", path.display());
        assert!(t
            .rows
            .iter()
            .all(|r| r.tok_s > 0.0 && r.source_url.is_some()));
    }
}

#[test]
fn normalized_hints_and_units() {
    let batched = read("normalized/llamacpp_repo_benches_batched.csv");
    let batches: Vec<Option<u32>> = batched
        .rows
        .iter()
        .step_by(2)
        .map(|r| r.batch)
        .take(4)
        .collect();
    assert_eq!(batches, [Some(1), Some(2), Some(4), Some(8)]);
    let r = &batched.rows[1];
    assert_eq!(
        (r.test, r.n_gen, r.n_depth, r.flash_attn, r.n_ubatch),
        (Test::Tg, 32, 512, Some(true), Some(2048))
    );
    let lhl = read("normalized/lhl_strix_halo_llm_bench_sweeps.csv");
    let r = &lhl.rows[0];
    assert_eq!(
        (r.flash_attn, r.n_ubatch, r.n_batch, r.batch),
        (Some(false), Some(512), Some(2048), None)
    );
    assert_eq!((r.quant.as_str(), r.line), ("Q4_K - Medium", 2));
    assert_close(
        r.model_size_bytes.expect("size"),
        68.01 * 1073741824.0,
        1.0,
        "GiB → bytes",
    );
    let bench = read("normalized/llamacpp_repo_benches_llamabench.csv");
    assert_eq!(
        (bench.rows[0].flash_attn, bench.rows[2].n_depth),
        (Some(true), 4096)
    );
    let geerling = read("normalized/geerlingguy_ai_benchmarks_readme_eval_rates.csv");
    let r = &geerling.rows[0];
    assert_eq!(
        (r.test, r.n_gen, r.model_size_bytes, r.backend.as_str()),
        (Test::Tg, 0, None, "")
    );
}

#[test]
fn normalized_optional_ids_any_order_and_quoting() {
    let csv = "\
notes,tok_s,test,quant,model,backend,device,n_prompt,extra,device_id,model_id
\"say \"\"hi\"\", fa=0\nsecond line\",12.5,tg,Q4_0,m,CUDA,\"RTX 4090, 24GB\",,x,rtx-4090,llama-2-7b
";
    let t = read_trace_str("ids.csv", csv).expect("valid");
    let r = &t.rows[0];
    assert_eq!(
        (
            r.device.as_str(),
            r.device_id.as_deref(),
            r.model_id.as_deref()
        ),
        ("RTX 4090, 24GB", Some("rtx-4090"), Some("llama-2-7b"))
    );
    assert_eq!(
        (r.quant_id.as_deref(), r.n_prompt, r.flash_attn),
        (None, 0, Some(false))
    );
    assert_eq!(r.notes.as_deref(), Some("say \"hi\", fa=0\nsecond line"));
}

const HEADER: &str = "device,backend,model,params_b,quant,model_size_gib,test,n_prompt,n_gen,n_depth,tok_s,bw_gbs,source_url,notes";

#[test]
fn malformed_input_is_a_parse_error_at_the_right_line() {
    let bad_tok =
        format!("{HEADER}\nd,b,m,7,q,,pp,512,0,0,1.0,,u,\nd,b,m,7,q,,tg,0,128,0,fast,,u,\n");
    assert_eq!(parse_error_line(read_trace_str("x.csv", &bad_tok)), Some(3));
    let bad_test = format!("{HEADER}\nd,b,m,7,q,,xx,512,0,0,1.0,,u,\n");
    assert_eq!(
        parse_error_line(read_trace_str("x.csv", &bad_test)),
        Some(2)
    );
    let open_quote =
        format!("{HEADER}\nd,b,m,7,q,,pp,512,0,0,1.0,,u,\n\"d,b,m,7,q,,pp,512,0,0,1.0,,u,\n");
    assert_eq!(
        parse_error_line(read_trace_str("x.csv", &open_quote)),
        Some(3)
    );
    let truncated = "[\n  {\n    \"n_prompt\": 128,\n    \"n_gen\": 0,\n    \"avg_ts\": 5";
    assert_eq!(
        parse_error_line(read_trace_str("x.json", truncated)),
        Some(5)
    );
    let bad_jsonl =
        "{\"n_prompt\": 128, \"n_gen\": 0, \"avg_ts\": 5}\n{\"n_prompt\": 0, \"n_gen\":";
    assert_eq!(
        parse_error_line(read_trace_str("x.jsonl", bad_jsonl)),
        Some(2)
    );
    let bad_md_size = "| model | size | params | backend | test | t/s |\n|---|---|---|---|---|---|\n| llama 7B Q4_0 | 3.56 GB | 6.74 B | CUDA | pp512 | 1.0 ± 0.1 |\n";
    assert_eq!(
        parse_error_line(read_trace_str("x.md", bad_md_size)),
        Some(3)
    );
    let bad_md_ts = "| model | size | params | backend | test | t/s |\n|---|---|---|---|---|---|\n| llama 7B Q4_0 | 3.56 GiB | 6.74 B | CUDA | pp512 | n/a |\n";
    assert_eq!(parse_error_line(read_trace_str("x.md", bad_md_ts)), Some(3));
    for (name, text) in [
        ("x.csv", ""),
        ("x.json", ""),
        ("x.md", "\n"),
        ("<stdin>", "  \n"),
    ] {
        assert_eq!(
            parse_error_line(read_trace_str(name, text)),
            Some(1),
            "{name}"
        );
    }
}

#[test]
fn unknown_formats_and_odd_inputs_never_panic() {
    let e = read_trace_str("x.csv", "a,b,c\n1,2,3\n").expect_err("unknown header");
    assert!(
        e.to_string().contains("x.csv:1") && e.to_string().contains("tok_s"),
        "{e}"
    );
    assert!(read_trace_str(
        "x.md",
        "# no tables here\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    .is_err());
    assert!(read_trace_str("x.json", "42").is_err());
    assert!(read_trace_str("x.json", "[1, 2]").is_err());
    let json_bad_field = "[{\"n_prompt\": 128, \"n_gen\": 0, \"avg_ts\": \"x\"}]";
    assert_eq!(
        parse_error_line(read_trace_str("x.json", json_bad_field)),
        Some(1)
    );
    let missing = read_trace_file(&fixture("llama-bench/no-such-file.csv"));
    assert!(matches!(missing, Err(Error::Io { .. })));
    for text in [
        "\"",
        "|",
        "| t/s | test |\n|--|--|\n|",
        "{",
        "[{}]",
        ",,,\n,,,",
        "\u{feff}",
        "tok_s,test\n1,pp,extra",
    ] {
        let _ = read_trace_str("<stdin>", text);
        let _ = read_trace_str("x.md", text);
        let _ = read_trace_str("x.jsonl", text);
    }
}

#[test]
fn content_detection_matches_extension_detection() {
    for rel in [
        "llama-bench/sample.csv",
        "llama-bench/sample.json",
        "llama-bench/sample.jsonl",
        "llama-bench/sample.md",
    ] {
        let text = std::fs::read_to_string(fixture(rel)).expect("fixture");
        let by_ext = read_trace_str(rel, &text).expect("by extension");
        let by_content = read_trace_str("<stdin>", &text).expect("by content");
        assert_eq!(by_ext.rows.len(), by_content.rows.len(), "{rel}");
        assert_eq!(by_ext.rows[0].tok_s, by_content.rows[0].tok_s, "{rel}");
    }
}
