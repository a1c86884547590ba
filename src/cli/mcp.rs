//! `tokenfit mcp`: a Model Context Protocol server over standard input/output (rmcp). Each
//! tool is a CLI command: its arguments are the command's flags without the dashes (the
//! input schema is read from the flags, as the HTTP API's parameters are), and its answer is
//! the command's JSON document, the same the HTTP API and `--format json` give.

use super::serve::api::{body_json, Api};
use super::serve::params::Kind;
use anyhow::{Context, Result};
use clap::Args;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeResult, ListToolsResult, PaginatedRequestParams, ServerCapabilities, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Map, Value};
use std::process::ExitCode;
use std::sync::Arc;
use tokenfit::db::Db;

/// The tools: a CLI command each (the HTTP API's endpoint of that name, or the command
/// itself), with what it answers. Adding a command as a tool is one entry (`rank` joins here
/// once the command exists).
const TOOLS: &[(&str, &str)] = &[
    ("fit", "Rank devices for one model at a context: verdict (fits, spills, does not fit), GiB needed and usable, decode and prefill tok/s with intervals, TTFT, price, and the command that measures it."),
    ("predict", "One device, model and quantization: bytes per token by memory tier, the bound that holds, decode and prefill tok/s, TTFT."),
    ("rank", "Which models run on one device: for each model the best quantization that fits fast memory at the context and reaches the minimum decode speed, largest model first."),
    ("cliff", "Decode tok/s against context on one device, and the context where bytes first leave fast memory (the cliff)."),
    ("breakeven", "When a local machine pays for itself against an API priced per token: monthly costs and the months to break even."),
    ("check", "Audit a published speed claim for a device, model and quantization: plausible, optimistic or impossible, with the physical bound."),
];

/// `mcp` arguments.
#[derive(Debug, Args)]
pub struct McpArgs {}

/// Serves MCP on standard input/output until the client closes it.
pub fn mcp_cmd(db: Db, _a: McpArgs) -> Result<ExitCode> {
    let mut api = Api::new(db, None);
    for (name, _) in TOOLS {
        api.add_command(name);
    }
    let server = Tokenfit { api: Arc::new(api) };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the MCP runtime")?;
    rt.block_on(async move {
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| anyhow::anyhow!("starting the MCP session: {e}"))?;
        running.waiting().await.context("the MCP session")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The MCP server: the API's answers behind tools.
#[derive(Debug, Clone)]
struct Tokenfit {
    api: Arc<Api>,
}

impl Tokenfit {
    /// The tool of a command, its input schema read from the command's flags.
    fn tool(&self, name: &'static str, description: &'static str) -> Tool {
        let mut props = Map::new();
        let mut required = Vec::new();
        for p in self.api.params(name) {
            let mut s = Map::new();
            let ty = if p.kind == Kind::Switch {
                "boolean"
            } else {
                "string"
            };
            s.insert("type".into(), json!(ty));
            s.insert("description".into(), json!(p.help));
            if !p.choices.is_empty() {
                s.insert("enum".into(), json!(p.choices));
            }
            if let Some(d) = p.default.as_ref().filter(|_| p.kind != Kind::Switch) {
                s.insert("default".into(), json!(d));
            }
            if p.required {
                required.push(p.name.clone());
            }
            props.insert(p.name.clone(), Value::Object(s));
        }
        let schema = json!({
            "type": "object", "properties": props, "required": required, "additionalProperties": false,
        });
        let Value::Object(schema) = schema else {
            unreachable!("a json! object is an object")
        };
        Tool::new(name, description, Arc::new(schema))
    }

    /// Runs a tool: the arguments become the command's flags, the answer its JSON.
    fn call(&self, name: &str, args: Option<Map<String, Value>>) -> CallToolResult {
        let mut query = Vec::new();
        for (k, v) in args.unwrap_or_default() {
            let v = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => continue,
                other => {
                    return CallToolResult::error(vec![ContentBlock::text(
                        json!({ "error": format!("'{k}' must be a string, a number or a boolean, not {other}"), "parameter": k }).to_string(),
                    )])
                }
            };
            query.push((k, v));
        }
        let reply = self.api.call(name, &query);
        let text = String::from_utf8_lossy(&reply.body).into_owned();
        if reply.status == 200 {
            let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
            r.structured_content = Some(body_json(&reply));
            r
        } else {
            CallToolResult::error(vec![ContentBlock::text(text)])
        }
    }
}

impl ServerHandler for Tokenfit {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("tokenfit", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Calibrated answers about local LLM inference: does a model fit on a device, how \
                 fast, where the context cliff is, when hardware pays off against an API. Arguments \
                 are the tokenfit CLI's flags without the dashes (ctx as 32k, devices as a comma list \
                 or all); answers are its JSON.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            TOOLS.iter().map(|(n, d)| self.tool(n, d)).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some((name, _)) = TOOLS.iter().find(|(n, _)| *n == request.name) else {
            return Err(ErrorData::invalid_params(
                format!("no tool '{}'", request.name),
                None,
            ));
        };
        Ok(self.call(name, request.arguments).into())
    }
}
