//! CSV: one row per result; nested objects flattened with dotted keys, arrays joined
//! with `;`. Columns are the union of keys in first-seen order.

use serde_json::Value;

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(scalar).collect();
            out.push((prefix.to_string(), parts.join(";")));
        }
        other => out.push((prefix.to_string(), scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders results as CSV.
pub fn render(results: &[Value]) -> String {
    let rows: Vec<Vec<(String, String)>> = results
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            flatten("", r, &mut out);
            out
        })
        .collect();
    let mut cols: Vec<String> = Vec::new();
    for r in &rows {
        for (k, _) in r {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    // A key that is null in one row and an object in another (`memory.host`) keeps only
    // the object's columns.
    let parents: Vec<String> = cols
        .iter()
        .filter(|c| {
            let dotted = format!("{c}.");
            cols.iter().any(|o| o.starts_with(&dotted))
        })
        .cloned()
        .collect();
    cols.retain(|c| !parents.contains(c));
    let mut s = cols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
    s.push('\n');
    for r in &rows {
        let line: Vec<String> = cols
            .iter()
            .map(|c| {
                r.iter()
                    .find(|(k, _)| k == c)
                    .map(|(_, v)| quote(v))
                    .unwrap_or_default()
            })
            .collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    s
}
