//! `/api/openapi.json`: an OpenAPI 3 document of every endpoint, its parameters read from the
//! CLI's flags (help text, default, allowed values), its answers and its errors.

use super::api::{Answer, Api, MAX_SWEEP_ROWS};
use super::params::{Kind, Param};
use super::query::{MAX_PARAMS, MAX_TARGET_BYTES};
use serde_json::{json, Map, Value};

/// The document.
pub(crate) fn document(api: &Api) -> Value {
    let mut paths = Map::new();
    for ep in super::api::ENDPOINTS {
        let params: Vec<Value> = api.params(ep.name).iter().map(parameter).collect();
        let ok = match ep.answer {
            Answer::Json => json!({
                "description": "The command's JSON document, as `--format json` prints it.",
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Answer" } } }
            }),
            Answer::Svg => json!({
                "description": "The chart `tokenfit plot` draws, as SVG.",
                "content": { "image/svg+xml": { "schema": { "type": "string" } } }
            }),
        };
        let error = |what: &str| {
            json!({
                "description": what,
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
            })
        };
        paths.insert(
            format!("/api/{}", ep.name),
            json!({ "get": {
                "operationId": ep.name.replace('/', "_"),
                "summary": ep.summary,
                "parameters": params,
                "responses": {
                    "200": ok,
                    "400": error("Bad input: the CLI's message, and the parameter it names."),
                    "404": error("No such endpoint."),
                    "405": error("Only GET and HEAD are answered."),
                    "414": error("The request target is longer than the server reads."),
                }
            }}),
        );
    }
    paths.insert(
        "/api/page".into(),
        json!({ "get": {
            "operationId": "page",
            "summary": "What the web page needs from the server: the id of the model given with --gguf or --hf-config when it started, if any.",
            "parameters": [],
            "responses": { "200": {
                "description": "The page's settings.",
                "content": { "application/json": { "schema": {
                    "type": "object",
                    "required": ["started_model"],
                    "properties": { "started_model": { "type": "string", "nullable": true } },
                }}}
            }}
        }}),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "tokenfit",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "The answers of the tokenfit CLI over HTTP. Each endpoint runs the command of its \
                 name: query parameters are the command's flags without the dashes (a positional \
                 argument is named `model` or `id`), and the answer is the command's `--format \
                 json` document. Bounds: a request target of at most {MAX_TARGET_BYTES} bytes, at \
                 most {MAX_PARAMS} parameters, a sweep of at most {MAX_SWEEP_ROWS} rows."
            ),
        },
        "paths": paths,
        "components": { "schemas": {
            "Answer": {
                "type": "object",
                "required": ["schema_version", "inputs", "results"],
                "properties": {
                    "schema_version": { "type": "integer" },
                    "inputs": { "type": "object" },
                    "results": { "type": "array", "items": { "type": "object" } },
                    "summary": { "type": "object" },
                },
            },
            "Error": {
                "type": "object",
                "required": ["error", "parameter"],
                "properties": {
                    "error": { "type": "string" },
                    "parameter": { "type": "string", "nullable": true },
                },
            },
        }},
    })
}

/// One query parameter.
fn parameter(p: &Param) -> Value {
    let mut schema = Map::new();
    match p.kind {
        Kind::Switch => {
            schema.insert("type".into(), json!("boolean"));
        }
        Kind::Value | Kind::Positional => {
            schema.insert("type".into(), json!("string"));
            if !p.choices.is_empty() {
                schema.insert("enum".into(), json!(p.choices));
            }
            if let Some(d) = &p.default {
                schema.insert("default".into(), json!(d));
            }
        }
    }
    json!({
        "name": p.name,
        "in": "query",
        "required": p.required,
        "description": p.help,
        "schema": schema,
    })
}
