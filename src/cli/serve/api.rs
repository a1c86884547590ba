//! Answers to API requests: a request's query becomes the argument list of the CLI command
//! (`/api/fit?model=llama-3.3-70b&ctx=32k` is `tokenfit --format json fit llama-3.3-70b
//! --ctx=32k`), parsed by the CLI's own parser and answered by the command's own function,
//! so the answer is the CLI's JSON and a bad input gets the CLI's message.

use super::params::{params, Kind, Param, NOT_OVER_THE_WIRE};
use crate::cli::{answer, Cli, Command};
use clap::error::{ContextKind, ContextValue};
use clap::Parser;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use tokenfit::db::Db;
use tokenfit::report::Format;

/// The most rows one `/api/sweep` answers.
pub(crate) const MAX_SWEEP_ROWS: usize = 2_000;

/// What an endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The command's JSON document.
    Json,
    /// An SVG chart, the one `tokenfit plot` draws.
    Svg,
}

/// One endpoint: `/api/{name}` runs the CLI command at `command`.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// The path after `/api/`.
    pub name: &'static str,
    /// The command (and subcommand) it runs.
    pub command: &'static [&'static str],
    /// What it answers.
    pub summary: &'static str,
    /// Parameters required over the wire besides those clap requires (clap's own
    /// requirement gives way to a model file, which a request cannot name).
    pub required: &'static [&'static str],
    /// JSON or SVG.
    pub answer: Answer,
}

/// Every endpoint of the API.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint { name: "fit", command: &["fit"], required: &["model"], answer: Answer::Json,
        summary: "Rank devices for one model: verdict, memory, largest fast context, speed, price (`tokenfit fit`)." },
    Endpoint { name: "predict", command: &["predict"], required: &["model", "quant"], answer: Answer::Json,
        summary: "One scenario with its breakdown: bytes per token by tier, bound, tok/s, TTFT (`tokenfit predict`)." },
    Endpoint { name: "cliff", command: &["cliff"], required: &["model", "quant"], answer: Answer::Json,
        summary: "The context where bytes first leave fast memory, and decode tok/s against context (`tokenfit cliff`)." },
    Endpoint { name: "sweep", command: &["sweep"], required: &["models"], answer: Answer::Json,
        summary: "What-if rows over lists of devices, models, quants, contexts and KV types (`tokenfit sweep`); at most 2000 rows." },
    Endpoint { name: "capacity", command: &["capacity"], required: &[], answer: Answer::Json,
        summary: "Concurrent streams: the largest batch whose caches fit, aggregate and per-stream tok/s (`tokenfit capacity`)." },
    Endpoint { name: "breakeven", command: &["breakeven"], required: &[], answer: Answer::Json,
        summary: "When a local machine pays off against an API priced per token (`tokenfit breakeven`)." },
    Endpoint { name: "check", command: &["check"], required: &[], answer: Answer::Json,
        summary: "Audit a published speed claim: plausible, optimistic or impossible (`tokenfit check`)." },
    Endpoint { name: "devices", command: &["devices"], required: &[], answer: Answer::Json,
        summary: "List devices, or show one (`tokenfit devices`)." },
    Endpoint { name: "models", command: &["models"], required: &[], answer: Answer::Json,
        summary: "List models, or show one (`tokenfit models`)." },
    Endpoint { name: "quants", command: &["quants"], required: &[], answer: Answer::Json,
        summary: "List quantization schemes and KV cache types, or show one (`tokenfit quants`)." },
    Endpoint { name: "apis", command: &["apis"], required: &[], answer: Answer::Json,
        summary: "List API offerings and their prices per 1M tokens, or show one (`tokenfit apis`)." },
    Endpoint { name: "plot/cliff", command: &["plot", "cliff"], required: &[], answer: Answer::Svg,
        summary: "The cliff chart as SVG: decode tok/s against context, each cliff marked (`tokenfit plot cliff`)." },
    Endpoint { name: "plot/breakeven", command: &["plot", "breakeven"], required: &[], answer: Answer::Svg,
        summary: "The break-even chart as SVG: cumulative cost against an API (`tokenfit plot breakeven`)." },
];

/// A reply: status, content type and body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content type.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON body.
    pub fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body,
        }
    }

    /// `{"error": message, "parameter": name}`.
    pub fn error(status: u16, message: &str, parameter: Option<&str>) -> Reply {
        let v = json!({ "error": message, "parameter": parameter });
        Reply::json(status, format!("{v}\n").into_bytes())
    }
}

/// The model file given when the server started: requests naming its id read the file
/// (fit, predict, cliff), so its exact weight bytes hold.
#[derive(Debug, Clone)]
pub(crate) struct StartedModel {
    /// The model's id.
    pub id: String,
    /// `gguf` or `hf-config`.
    pub flag: &'static str,
    /// The file.
    pub path: PathBuf,
}

/// The server's state: the databases, each endpoint's parameters, and where charts are drawn.
#[derive(Debug)]
pub(crate) struct Api {
    db: Db,
    /// Commands answered by name besides [`ENDPOINTS`] (MCP tools without an HTTP endpoint).
    extra: Vec<Endpoint>,
    params: BTreeMap<&'static str, Vec<Param>>,
    started: Option<StartedModel>,
    charts: PathBuf,
    drawn: AtomicU64,
}

impl Api {
    /// The API over these databases (with the started model merged in, if any).
    pub fn new(db: Db, started: Option<StartedModel>) -> Api {
        let params = ENDPOINTS
            .iter()
            .map(|e| (e.name, params(e.command, e.required)))
            .collect();
        let charts = std::env::temp_dir().join(format!("tokenfit-serve-{}", std::process::id()));
        Api {
            db,
            extra: Vec::new(),
            params,
            started,
            charts,
            drawn: AtomicU64::new(0),
        }
    }

    /// Also answers the command `name` (its JSON), if no endpoint has that name.
    pub fn add_command(&mut self, name: &'static &'static str) {
        if self.endpoint(name).is_some() {
            return;
        }
        let ep = Endpoint {
            name,
            command: std::slice::from_ref(name),
            summary: "",
            required: &[],
            answer: Answer::Json,
        };
        self.params.insert(name, params(ep.command, ep.required));
        self.extra.push(ep);
    }

    fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        ENDPOINTS.iter().chain(&self.extra).find(|e| e.name == name)
    }

    /// The started model's id, if any.
    pub fn started_model(&self) -> Option<&str> {
        self.started.as_ref().map(|s| s.id.as_str())
    }

    /// The parameters of an endpoint.
    pub fn params(&self, name: &str) -> &[Param] {
        self.params.get(name).map_or(&[], Vec::as_slice)
    }

    /// Answers `/api/{name}` with these query parameters.
    pub fn call(&self, name: &str, query: &[(String, String)]) -> Reply {
        let Some(ep) = self.endpoint(name) else {
            return Reply::error(
                404,
                &format!("no endpoint /api/{name}; /api/openapi.json lists them"),
                None,
            );
        };
        let argv = match self.argv(ep, query) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let cli = match Cli::try_parse_from(&argv) {
            Ok(c) => c,
            Err(e) => return clap_error(&e),
        };
        let answered = match cli.command {
            Command::Sweep(a) => crate::cli::sweep::sweep_json(&self.db, a, MAX_SWEEP_ROWS)
                .map(|b| Reply::json(200, b)),
            Command::Plot(p) => self.chart(p),
            c => answer(&self.db, c)
                .map(|(out, _)| Reply::json(200, out.render(Format::Json).into_bytes())),
        };
        answered.unwrap_or_else(|e| {
            let msg = format!("{e:#}");
            let param = blame(&msg, query, self.params(ep.name));
            Reply::error(400, &msg, param.as_deref())
        })
    }

    /// The argument list of a request: `--name=value` per parameter (a value starting with
    /// `-` stays a value), switches bare, positional arguments after `--`.
    fn argv(&self, ep: &Endpoint, query: &[(String, String)]) -> Result<Vec<String>, Reply> {
        let mut argv: Vec<String> = vec!["tokenfit".into(), "--format".into(), "json".into()];
        argv.extend(ep.command.iter().map(|c| c.to_string()));
        let mut positional = Vec::new();
        let params = self.params(ep.name);
        for (k, v) in query {
            if NOT_OVER_THE_WIRE.contains(&k.as_str()) {
                return Err(Reply::error(
                    400,
                    &format!("--{k} is not taken over HTTP: the answer is JSON in the response, and a request names no file on the server"),
                    Some(k),
                ));
            }
            let Some(p) = params.iter().find(|p| &p.name == k) else {
                let expected: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                return Err(Reply::error(
                    400,
                    &format!(
                        "unexpected argument '{k}' for /api/{}; expected one of: {}",
                        ep.name,
                        expected.join(", ")
                    ),
                    Some(k),
                ));
            };
            let file = self.started.as_ref().filter(|s| {
                k == "model" && v == &s.id && matches!(ep.name, "fit" | "predict" | "cliff")
            });
            match (p.kind, file) {
                (_, Some(s)) => argv.push(format!("--{}={}", s.flag, s.path.display())),
                (Kind::Positional, None) => positional.push(v.clone()),
                (Kind::Switch, None) => match v.as_str() {
                    "" | "true" | "1" => argv.push(format!("--{k}")),
                    "false" | "0" => {}
                    _ => {
                        return Err(Reply::error(
                            400,
                            &format!("--{k} is a switch: give true or false, not '{v}'"),
                            Some(k),
                        ))
                    }
                },
                (Kind::Value, None) => argv.push(format!("--{k}={v}")),
            }
        }
        if !positional.is_empty() {
            argv.push("--".into());
            argv.extend(positional);
        }
        Ok(argv)
    }

    /// Draws a chart with `tokenfit plot` to a temporary SVG and answers with it.
    fn chart(&self, p: crate::cli::plot::PlotArgs) -> anyhow::Result<Reply> {
        std::fs::create_dir_all(&self.charts)?;
        let n = self.drawn.fetch_add(1, Ordering::Relaxed);
        let path = self.charts.join(format!("chart-{n}.svg"));
        let drawn = crate::cli::plot::plot_cmd(&self.db, p, Some(&path));
        let body = drawn.and_then(|_| Ok(std::fs::read(&path)?));
        let _ = std::fs::remove_file(&path);
        Ok(Reply {
            status: 200,
            content_type: "image/svg+xml",
            body: body?,
        })
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.charts);
    }
}

/// A parse error in clap's words (without the usage lines), and the parameter it names.
fn clap_error(e: &clap::Error) -> Reply {
    let text = e.render().to_string();
    let msg = text
        .split("\n\nUsage:")
        .next()
        .unwrap_or_default()
        .trim()
        .trim_start_matches("error: ")
        .replace("\n\n", "; ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let named = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    };
    let param = named.map(|s| {
        let s = s.split([' ', '=']).next().unwrap_or_default();
        s.trim_start_matches("--")
            .trim_matches(['<', '>', '[', ']', '.'])
            .to_ascii_lowercase()
    });
    Reply::error(400, &msg, param.as_deref())
}

/// The parameter a command's error message is about: the first `--flag` it quotes that is
/// a parameter of the endpoint, else the first parameter whose value it quotes.
fn blame(msg: &str, query: &[(String, String)], params: &[Param]) -> Option<String> {
    let flagged = msg.match_indices("--").find_map(|(i, _)| {
        let rest = &msg[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        params
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.name.clone())
    });
    flagged.or_else(|| {
        query
            .iter()
            .find(|(_, v)| !v.is_empty() && msg.contains(&format!("'{v}'")))
            .map(|(k, _)| k.clone())
    })
}

/// A JSON value of an answer, for callers that embed it (MCP).
pub(crate) fn body_json(r: &Reply) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_command_without_an_endpoint_is_answered_once_added() {
        let mut api = Api::new(Db::builtin().expect("databases load"), None);
        let args = q(&[
            ("device", "rtx-pro-6000-blackwell"),
            ("model", "llama-3.1-8b"),
            ("quant", "q4_k_m"),
        ]);
        assert_eq!(api.call("power", &args).status, 404);
        api.add_command(&"power");
        let r = api.call("power", &args);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(body_json(&r)["inputs"]["command"], "power");
        assert!(api.params("power").iter().any(|p| p.name == "device"));
    }

    #[test]
    fn argv_keeps_values_that_look_like_flags_as_values() {
        let api = Api::new(Db::builtin().expect("databases load"), None);
        let ep = api.endpoint("fit").expect("fit is an endpoint");
        let argv = api
            .argv(ep, &q(&[("model", "-x"), ("power-limit", "-5")]))
            .expect("known parameters");
        assert_eq!(
            argv,
            [
                "tokenfit",
                "--format",
                "json",
                "fit",
                "--power-limit=-5",
                "--",
                "-x"
            ]
        );
    }
}
