//! The measured-trace readers on other input: the normalized CSVs (hints, units, optional
//! ids, quoting), malformed input (errors at file:line, never a panic), unknown formats and
//! content detection.

#[path = "common/traces.rs"]
mod traces;

use std::path::PathBuf;

use tokenfit::calib::read::{read_trace_file, read_trace_str};
use tokenfit::calib::trace::Test;
use tokenfit::Error;
use traces::{assert_close, fixture, parse_error_line, read};

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
