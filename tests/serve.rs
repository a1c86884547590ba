//! `tokenfit serve`: the HTTP API answers in the CLI's JSON contract, refuses bad input with
//! the CLI's message and the parameter it names, bounds requests, and serves the page.

mod common;
#[path = "common/server.rs"]
mod server;

use common::tokenfit;
use serde_json::Value;
use server::Server;

/// A server for one request (it starts in milliseconds), stopped when dropped: one kept in a
/// `static` for the whole test binary is never dropped and outlives it.
fn server() -> Server {
    Server::start(&[])
}

/// The CLI's `--format json` stdout for `args`.
fn cli(args: &[&str]) -> String {
    let out = tokenfit()
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("binary runs");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The CLI's error message for `args` (stderr without `error: `).
fn cli_error(args: &[&str]) -> String {
    let out = tokenfit()
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr)
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

#[test]
fn binds_to_loopback_by_default() {
    assert!(server().addr.starts_with("127.0.0.1:"), "{}", server().addr);
}

#[test]
fn every_endpoint_answers_byte_for_byte_what_the_cli_prints() {
    let cases: &[(&str, &[&str])] = &[
        (
            "/api/fit?model=llama-3.3-70b&quant=q8_0&ctx=32k",
            &["fit", "llama-3.3-70b", "--quant", "q8_0", "--ctx", "32k"],
        ),
        (
            "/api/predict?device=rtx-4090&model=llama-3.1-8b&quant=q4_k_m&prompt=4k&gen=256",
            &["predict", "--device", "rtx-4090", "--model", "llama-3.1-8b", "--quant", "q4_k_m", "--prompt", "4k", "--gen", "256"],
        ),
        (
            "/api/cliff?device=rtx-4090&model=qwen3-32b&quant=q4_k_m",
            &["cliff", "--device", "rtx-4090", "--model", "qwen3-32b", "--quant", "q4_k_m"],
        ),
        (
            "/api/sweep?devices=rtx-4090%2Capple-m4-max&models=llama-3.1-8b&quants=q4_k_m,q8_0&ctx=4k,32k",
            &["sweep", "--devices", "rtx-4090,apple-m4-max", "--models", "llama-3.1-8b", "--quants", "q4_k_m,q8_0", "--ctx", "4k,32k"],
        ),
        (
            "/api/capacity?device=rtx-4090&model=llama-3.1-8b&quant=q4_k_m",
            &["capacity", "--device", "rtx-4090", "--model", "llama-3.1-8b", "--quant", "q4_k_m"],
        ),
        (
            "/api/breakeven?device=dgx-spark&api=gpt-4o&tokens-per-month=20M",
            &["breakeven", "--device", "dgx-spark", "--api", "gpt-4o", "--tokens-per-month", "20M"],
        ),
        (
            "/api/check?device=rtx-4090&model=llama-3.1-8b&quant=q4_k_m&claimed-tok-s=400",
            &["check", "--device", "rtx-4090", "--model", "llama-3.1-8b", "--quant", "q4_k_m", "--claimed-tok-s", "400"],
        ),
        ("/api/devices", &["devices"]),
        ("/api/devices?id=rtx-4090", &["devices", "rtx-4090"]),
        ("/api/models?id=llama-3.3-70b", &["models", "llama-3.3-70b"]),
        ("/api/quants", &["quants"]),
        ("/api/apis", &["apis"]),
    ];
    for (target, args) in cases {
        let a = server().get(target);
        assert_eq!(a.status, 200, "{target}: {}", a.text());
        assert_eq!(a.header("Content-Type"), Some("application/json"));
        assert!(
            a.text() == cli(args),
            "{target} differs from tokenfit {args:?}"
        );
    }
}

#[test]
fn check_answers_200_with_its_verdict_even_when_the_claim_fails() {
    let a = server()
        .get("/api/check?device=rtx-4090&model=llama-3.1-8b&quant=q4_k_m&claimed-tok-s=5000");
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["results"][0]["verdict"], "impossible");
}

#[test]
fn bad_input_is_400_with_the_cli_message_and_the_parameter() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "/api/fit?model=llama-3.3-70b&ctx=abc",
            &["fit", "llama-3.3-70b", "--ctx", "abc"],
            "ctx",
        ),
        (
            "/api/fit?model=no-such-model",
            &["fit", "no-such-model"],
            "model",
        ),
        (
            "/api/predict?device=rtx-4090&model=llama-3.1-8b&quant=q4_k_m&kv-type=zz",
            &[
                "predict",
                "--device",
                "rtx-4090",
                "--model",
                "llama-3.1-8b",
                "--quant",
                "q4_k_m",
                "--kv-type",
                "zz",
            ],
            "kv-type",
        ),
        (
            "/api/check?device=rtx-4090&model=llama-3.1-8b&quant=q4_k_m&claimed-tok-s=-3",
            &[
                "check",
                "--device",
                "rtx-4090",
                "--model",
                "llama-3.1-8b",
                "--quant",
                "q4_k_m",
                "--claimed-tok-s=-3",
            ],
            "claimed-tok-s",
        ),
    ];
    for (target, args, param) in cases {
        let a = server().get(target);
        assert_eq!(a.status, 400, "{target}: {}", a.text());
        let e = a.json();
        assert_eq!(e["parameter"], *param, "{target}: {e}");
        assert_eq!(e["error"], cli_error(args), "{target}");
    }
}

#[test]
fn parse_errors_name_the_parameter() {
    for (target, param) in [
        ("/api/fit", "model"),
        ("/api/fit?model=llama-3.1-8b&no-such-flag=1", "no-such-flag"),
        ("/api/predict?model=llama-3.1-8b&quant=q4_k_m", "device"),
        ("/api/fit?model=llama-3.1-8b&format=csv", "format"),
        ("/api/fit?model=llama-3.1-8b&plot=%2Ftmp%2Fx.svg", "plot"),
        ("/api/fit?gguf=%2Fetc%2Fpasswd", "gguf"),
        ("/api/fit?model=llama-3.1-8b&ctx=1k&ctx=2k", "ctx"),
    ] {
        let a = server().get(target);
        assert_eq!(a.status, 400, "{target}: {}", a.text());
        let e = a.json();
        assert_eq!(e["parameter"], param, "{target}: {e}");
        assert!(!e["error"].as_str().unwrap_or_default().is_empty());
    }
}

#[test]
fn unknown_paths_are_404_and_other_methods_405() {
    for target in ["/nothing", "/api/nothing", "/api/", "/api/plot/nothing"] {
        let a = server().get(target);
        assert_eq!(a.status, 404, "{target}");
        assert!(a.json()["error"].is_string());
    }
    let a = server().request("POST", "/api/fit?model=llama-3.1-8b");
    assert_eq!(a.status, 405);
    assert_eq!(a.header("Allow"), Some("GET, HEAD"));
}

#[test]
fn requests_are_bounded() {
    let long = format!("/api/fit?model={}", "x".repeat(5000));
    assert_eq!(server().get(&long).status, 414);
    let many = format!("/api/devices?{}", vec!["id=a"; 65].join("&"));
    assert_eq!(server().get(&many).status, 400);
    let a = server().get("/api/sweep?models=all&quants=all&ctx=1k,2k,4k,8k&kv-type=all");
    assert_eq!(a.status, 400);
    assert!(a.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("at most 2000"));
    assert_eq!(server().get("/api/fit?model=%zz").status, 400);
}

#[test]
fn openapi_documents_every_endpoint_with_the_cli_flags() {
    let doc = server().get("/api/openapi.json").json();
    assert!(doc["openapi"]
        .as_str()
        .unwrap_or_default()
        .starts_with("3."));
    for ep in [
        "fit",
        "predict",
        "cliff",
        "sweep",
        "capacity",
        "breakeven",
        "check",
        "devices",
        "models",
        "quants",
        "apis",
    ] {
        let op = &doc["paths"][format!("/api/{ep}")]["get"];
        assert!(op["responses"]["200"].is_object(), "{ep}");
        assert!(op["responses"]["400"].is_object(), "{ep}");
    }
    let params = doc["paths"]["/api/fit"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ctx = params
        .iter()
        .find(|p| p["name"] == "ctx")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(ctx["schema"]["default"], "4k");
    assert!(ctx["description"]
        .as_str()
        .unwrap_or_default()
        .contains("Context"));
    let model = params
        .iter()
        .find(|p| p["name"] == "model")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(model["required"], true);
    for hidden in ["format", "output", "plot", "gguf", "db"] {
        assert!(
            params.iter().all(|p| p["name"] != hidden),
            "{hidden} is documented"
        );
    }
}

#[test]
fn the_page_and_its_charts_are_served() {
    let page = server().get("/");
    assert_eq!(page.status, 200);
    assert!(page
        .header("Content-Type")
        .unwrap_or_default()
        .starts_with("text/html"));
    assert!(page.text().contains("/app.js"));
    for asset in ["/app.js", "/style.css", "/favicon.svg"] {
        assert_eq!(server().get(asset).status, 200, "{asset}");
    }
    let svg = server().get("/api/plot/cliff?model=llama-3.3-70b&quant=q8_0&devices=rtx-4090");
    assert_eq!(svg.status, 200, "{}", svg.text());
    assert_eq!(svg.header("Content-Type"), Some("image/svg+xml"));
    assert!(svg.text().starts_with("<svg"));
    let be = server().get("/api/plot/breakeven?device=dgx-spark&api=gpt-4o&tokens-per-month=20M");
    assert_eq!(be.status, 200, "{}", be.text());
}

#[test]
fn concurrent_requests_all_get_answers() {
    let handles: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let ctx = 1024 << (i % 6);
                server()
                    .get(&format!("/api/fit?model=llama-3.1-8b&ctx={ctx}"))
                    .status
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().ok(), Some(200));
    }
}

#[test]
fn a_model_file_given_at_start_is_offered_and_answered_from_the_file() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("serve-tests")
        .join("Served-Llama-8B");
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let config = dir.join("config.json");
    let v = serde_json::json!({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "num_hidden_layers": 32, "hidden_size": 4096, "intermediate_size": 14336,
        "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
        "tie_word_embeddings": false, "max_position_embeddings": 131072,
    });
    std::fs::write(&config, v.to_string()).expect("config.json is written");
    let path = config.to_string_lossy().into_owned();
    let s = Server::start(&["--hf-config", &path]);
    let page = s.get("/api/page").json();
    let id = page["started_model"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!id.is_empty(), "{page}");
    let models = s.get(&format!("/api/models?id={id}"));
    assert_eq!(models.status, 200, "{}", models.text());
    let a = s.get(&format!(
        "/api/fit?model={id}&quant=q4_k_m&ctx=8k&devices=rtx-4090"
    ));
    assert_eq!(a.status, 200, "{}", a.text());
    let want = cli(&[
        "fit",
        "--hf-config",
        &path,
        "--quant",
        "q4_k_m",
        "--ctx",
        "8k",
        "--devices",
        "rtx-4090",
    ]);
    assert!(a.text() == want, "{}\n---\n{want}", a.text());
}
