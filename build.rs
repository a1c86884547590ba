//! Prepares every shipped database file (hardware-db/, model-db/, calibration/*.yaml) at
//! build time: each YAML file is parsed here and embedded as compact JSON with its top-level
//! keys, so a YAML syntax error fails the build and the binary never parses YAML for its own
//! databases (JSON loads about ten times faster). Writes `$OUT_DIR/builtin_files.rs`, a list
//! of (path, top-level keys, JSON) triples.

use std::fs;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut entries = Vec::new();
    for dir in ["hardware-db", "model-db", "calibration"] {
        println!("cargo:rerun-if-changed={dir}");
        let Ok(rd) = fs::read_dir(Path::new(&root).join(dir)) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        names.sort();
        for n in names {
            let rel = format!("{dir}/{n}");
            println!("cargo:rerun-if-changed={rel}");
            let text = fs::read_to_string(Path::new(&root).join(&rel))
                .unwrap_or_else(|e| panic!("reading {rel}: {e}"));
            let value: serde_json::Value = serde_norway::from_str(&text)
                .unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"));
            let keys: Vec<String> = value
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let json = serde_json::to_string(&value).expect("a JSON value serializes");
            let name = rel.replace(['/', '.', '-'], "_");
            fs::write(Path::new(&out_dir).join(format!("{name}.json")), json)
                .expect("write the prepared database file");
            entries.push(format!(
                "    ({rel:?}, &{keys:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/{name}.json\"))),\n"
            ));
        }
    }
    let out = Path::new(&out_dir).join("builtin_files.rs");
    let body = format!(
        "/// Shipped database files, prepared at build time: (path, top-level keys, JSON).\n\
         pub const BUILTIN_FILES: &[(&str, &[&str], &str)] = &[\n{}];\n",
        entries.concat()
    );
    fs::write(out, body).expect("write builtin_files.rs");
}
