//! JSON: one object `{schema_version, inputs, results[, summary]}`, keys in a stable order;
//! JSON lines: one result per line.

use super::{Output, SCHEMA_VERSION};
use serde_json::{json, Map, Value};

/// Renders the JSON document.
pub fn render(o: &Output) -> String {
    let mut m = Map::new();
    m.insert("schema_version".into(), json!(SCHEMA_VERSION));
    m.insert("inputs".into(), o.inputs.clone());
    m.insert("results".into(), Value::Array(o.results.clone()));
    if let Some(s) = &o.summary {
        m.insert("summary".into(), s.clone());
    }
    for (k, v) in &o.extra {
        m.insert(k.clone(), v.clone());
    }
    let mut s =
        serde_json::to_string_pretty(&Value::Object(m)).expect("a JSON value always serializes");
    s.push('\n');
    s
}

/// Renders JSON lines: one compact result object per line.
pub fn render_lines(results: &[Value]) -> String {
    let mut s = String::new();
    for r in results {
        s.push_str(&r.to_string());
        s.push('\n');
    }
    s
}
