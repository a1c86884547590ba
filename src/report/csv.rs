//! CSV of whole results (lists, validation, breakeven …): one row per result; nested objects
//! flattened with dotted keys, arrays joined with `;`. Columns are the union of keys in
//! first-seen order. Rows of one flat type stream through [`super::stream`] instead.

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

/// Renders results as CSV (the `csv` crate quotes what needs quoting).
pub fn render(results: &[Value]) -> String {
    let rows: Vec<Vec<(String, String)>> = results
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            flatten("", r, &mut out);
            out
        })
        .collect();
    let mut cols: Vec<&str> = Vec::new();
    for r in &rows {
        for (k, _) in r {
            if !cols.contains(&k.as_str()) {
                cols.push(k);
            }
        }
    }
    // A key that is null in one row and an object in another (`memory.host`) keeps only
    // the object's columns.
    let parents: Vec<&str> = cols
        .iter()
        .filter(|c| {
            let dotted = format!("{c}.");
            cols.iter().any(|o| o.starts_with(&dotted))
        })
        .copied()
        .collect();
    cols.retain(|c| !parents.contains(c));
    let mut w = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>| -> csv::Result<()> {
        w.write_record(&cols)?;
        for r in &rows {
            w.write_record(cols.iter().map(|c| {
                r.iter()
                    .find(|(k, _)| k == c)
                    .map_or("", |(_, v)| v.as_str())
            }))?;
        }
        w.flush()?;
        Ok(())
    };
    write(&mut w).expect("writing CSV to memory cannot fail");
    String::from_utf8(w.into_inner().expect("flushed")).expect("CSV of UTF-8 text is UTF-8")
}
