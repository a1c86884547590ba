//! Embeds every shipped database file (hardware-db/, model-db/, calibration/*.yaml) in the
//! binary: writes `$OUT_DIR/builtin_files.rs`, a list of (path, contents) pairs.

use std::fs;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
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
            entries.push(format!(
                "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{rel}\"))),\n"
            ));
        }
    }
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_files.rs");
    let body = format!("/// Shipped database files, (path, contents).\npub const BUILTIN_FILES: &[(&str, &str)] = &[\n{}];\n", entries.concat());
    fs::write(out, body).expect("write builtin_files.rs");
}
