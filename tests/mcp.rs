//! `tokenfit mcp`: a client session over standard input/output initializes, lists the tools
//! with their argument schemas, and calls `fit`, getting the CLI's JSON.

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn start() -> Session {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tokenfit"))
            .arg("mcp")
            .env_remove("TOKENFIT_DB")
            .env(
                "TOKENFIT_CONFIG_DIR",
                std::env::temp_dir().join("tokenfit-tests-no-config"),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tokenfit mcp starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Session {
            child,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    fn send(&mut self, msg: &Value) {
        writeln!(self.stdin, "{msg}").expect("the server reads");
        self.stdin.flush().expect("the server reads");
    }

    /// Sends a request and returns the response with its id.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .expect("the server answers");
            assert!(
                n > 0,
                "the server closed the session before answering {method}"
            );
            let v: Value = serde_json::from_str(&line).expect("a JSON-RPC message per line");
            if v["id"] == json!(id) {
                return v;
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn initialized() -> Session {
    let mut s = Session::start();
    let init = s.request(
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "tokenfit-test", "version": "1" },
        }),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "tokenfit", "{init}");
    assert!(
        init["result"]["capabilities"]["tools"].is_object(),
        "{init}"
    );
    s.send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));
    s
}

#[test]
fn a_session_lists_the_tools_and_calls_fit() {
    let mut s = initialized();
    let list = s.request("tools/list", json!({}));
    let tools = list["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        ["fit", "predict", "rank", "cliff", "breakeven", "check"],
        "{list}"
    );
    let fit = &tools[0];
    assert_eq!(fit["inputSchema"]["type"], "object");
    assert_eq!(fit["inputSchema"]["properties"]["ctx"]["default"], "4k");
    assert_eq!(fit["inputSchema"]["required"], json!(["model"]));
    let check = &tools[5]["inputSchema"];
    for arg in ["device", "model", "quant", "claimed-tok-s"] {
        assert!(
            check["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!(arg))),
            "check requires {arg}: {check}"
        );
    }

    let call = s.request(
        "tools/call",
        json!({ "name": "fit", "arguments": { "model": "llama-3.3-70b", "quant": "q8_0", "ctx": "32k" } }),
    );
    let result = &call["result"];
    assert_eq!(result["isError"], false, "{call}");
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    let cli = common::json(&["fit", "llama-3.3-70b", "--quant", "q8_0", "--ctx", "32k"]);
    let answer: Value = serde_json::from_str(text).expect("the tool answers JSON");
    assert_eq!(answer, cli, "the tool's answer is the CLI's JSON");
    assert_eq!(result["structuredContent"], cli);
    let verdict = |id: &str| {
        answer["results"]
            .as_array()
            .and_then(|r| r.iter().find(|x| x["device"] == id))
            .map(|x| x["verdict"].clone())
    };
    assert_eq!(verdict("rtx-pro-6000-blackwell"), Some(json!("fits")));
    assert_ne!(verdict("rtx-4090"), Some(json!("fits")));

    let call = s.request(
        "tools/call",
        json!({ "name": "rank", "arguments": { "device": "rtx-4090", "ctx": "16k" } }),
    );
    let text = call["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    let answer: Value = serde_json::from_str(text).expect("the tool answers JSON");
    let cli = common::json(&["rank", "--device", "rtx-4090", "--ctx", "16k"]);
    assert_eq!(answer, cli, "rank answers the CLI's JSON");
    assert!(cli["results"].as_array().is_some_and(|r| !r.is_empty()));
}

#[test]
fn a_bad_argument_is_a_tool_error_with_the_cli_message() {
    let mut s = initialized();
    let call = s.request(
        "tools/call",
        json!({ "name": "fit", "arguments": { "model": "llama-3.3-70b", "ctx": "lots" } }),
    );
    assert_eq!(call["result"]["isError"], true, "{call}");
    let text = call["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    let e: Value = serde_json::from_str(text).expect("the error is JSON");
    assert_eq!(e["parameter"], "ctx");
    assert!(
        e["error"].as_str().unwrap_or_default().contains("--ctx"),
        "{e}"
    );
    let unknown = s.request("tools/call", json!({ "name": "nope", "arguments": {} }));
    assert!(unknown["error"].is_object(), "{unknown}");
    // Numbers are taken as the CLI would read them.
    let num = s.request(
        "tools/call",
        json!({ "name": "check", "arguments": { "device": "rtx-4090", "model": "llama-3.1-8b", "quant": "q4_k_m", "claimed-tok-s": 150 } }),
    );
    assert_eq!(num["result"]["isError"], false, "{num}");
}
