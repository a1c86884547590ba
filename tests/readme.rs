//! The documentation cannot drift: every `tokenfit …` line in the README's `sh` code blocks
//! and every example under a `--help` runs, and none exits with an error (2) or a crash.
//! Files a command writes (`-o FILE`, `detect --save`) go to a temporary directory.

mod common;

use std::path::{Path, PathBuf};

/// Splits a command line into words: spaces separate, single and double quotes group.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The `tokenfit …` lines of the README's `sh` blocks (a `#` starts a comment).
fn readme_commands() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    for l in text.lines() {
        let t = l.trim();
        if t.starts_with("```") {
            in_sh = t == "```sh";
            continue;
        }
        if in_sh && t.starts_with("tokenfit ") {
            out.push(t.split(" #").next().unwrap_or(t).trim().to_string());
        }
    }
    out
}

fn help(args: &[&str], columns: Option<&str>) -> String {
    let mut c = common::tokenfit();
    if let Some(w) = columns {
        c.env("COLUMNS", w);
    }
    let out = c.args(args).arg("--help").output().expect("binary runs");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The top-level `--help` and every command's (`plot`'s kinds included), named, at the
/// width `COLUMNS` gives (none: clap's default for a pipe).
fn help_texts(columns: Option<&str>) -> Vec<(String, String)> {
    let commands = |text: &str| -> Vec<String> {
        let mut subs = Vec::new();
        let mut in_commands = false;
        for l in text.lines() {
            if l.starts_with("Commands:") {
                in_commands = true;
                continue;
            }
            if in_commands {
                match l
                    .strip_prefix("  ")
                    .and_then(|r| r.split_whitespace().next())
                {
                    Some(name) if name != "help" => subs.push(name.to_string()),
                    Some(_) => {}
                    None => in_commands = false,
                }
            }
        }
        subs
    };
    let top = help(&[], columns);
    let subs = commands(&top);
    assert!(subs.len() > 10, "commands listed: {subs:?}");
    let mut out = vec![("tokenfit".to_string(), top)];
    for s in subs {
        let text = help(&[&s], columns);
        let nested = commands(&text);
        out.push((format!("tokenfit {s}"), text));
        for n in nested {
            let text = help(&[&s, &n], columns);
            out.push((format!("tokenfit {s} {n}"), text));
        }
    }
    out
}

/// The example lines of every `--help`: a line starting with `tokenfit` starts a command;
/// a more indented one continues it (after a shell's `\` line continuation).
fn help_commands() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, t) in help_texts(None) {
        let mut in_examples = false;
        for l in t.lines() {
            if l.starts_with("Examples:") {
                in_examples = true;
                continue;
            }
            let s = l.trim();
            let indent = l.len() - l.trim_start().len();
            if !in_examples || s.is_empty() {
                continue;
            }
            let s = s.strip_suffix('\\').map_or(s, str::trim_end);
            if s.starts_with("tokenfit ") {
                out.push(s.to_string());
            } else if indent == 0 {
                in_examples = false;
            } else if let Some(last) = out.last_mut() {
                last.push(' ');
                last.push_str(s);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A shell's expansion of one `*` in a file name (`calibration/traces/*.csv`), sorted; a word
/// without `*` or without a match stays as it is, as in a shell.
fn glob(word: &str) -> Vec<String> {
    let path = Path::new(word);
    let (Some(name), Some(dir)) = (path.file_name().and_then(|n| n.to_str()), path.parent()) else {
        return vec![word.to_string()];
    };
    let Some((pre, post)) = name.split_once('*') else {
        return vec![word.to_string()];
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut found: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.len() >= pre.len() + post.len() && n.starts_with(pre) && n.ends_with(post))
        .map(|n| dir.join(n).display().to_string())
        .collect();
    found.sort();
    if found.is_empty() {
        vec![word.to_string()]
    } else {
        found
    }
}

/// Runs one documented command line; a file it writes lands in `tmp`.
fn run(line: &str, tmp: &Path) -> Result<(), String> {
    let mut args: Vec<String> = words(line)
        .into_iter()
        .skip(1)
        .flat_map(|w| glob(&w))
        .collect();
    for i in 1..args.len() {
        if args[i - 1] == "-o" || args[i - 1] == "--plot" {
            let name = Path::new(&args[i])
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("out"));
            args[i] = tmp.join(name).display().to_string();
        }
    }
    let out = common::tokenfit_in(&tmp.join("config"))
        .env("HOME", tmp)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(&args)
        .output()
        .map_err(|e| e.to_string())?;
    // `check` exits 1 for a claim it does not find plausible: an answer, not an error.
    let ok = match out.status.code() {
        Some(0) => true,
        Some(1) => args.first().map(String::as_str) == Some("check"),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{line}` exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn run_all(lines: &[String], what: &str) {
    let tmp = std::env::temp_dir().join(format!("tokenfit-docs-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temporary directory");
    let failures: Vec<String> = lines.iter().filter_map(|l| run(l, &tmp).err()).collect();
    std::fs::remove_dir_all(&tmp).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn words_split_like_a_shell() {
    assert_eq!(
        words(r#"tokenfit predict --devices "2x dgx-spark" --model 'a b' -o x.svg"#),
        [
            "tokenfit",
            "predict",
            "--devices",
            "2x dgx-spark",
            "--model",
            "a b",
            "-o",
            "x.svg"
        ]
    );
}

#[test]
fn every_readme_command_runs() {
    let lines = readme_commands();
    assert!(lines.len() >= 15, "README commands found: {lines:?}");
    run_all(&lines, "readme");
}

#[test]
fn every_help_example_runs() {
    let lines = help_commands();
    assert!(lines.len() >= 10, "help examples found: {lines:?}");
    run_all(&lines, "help");
}

/// Every line of every `--help` fits 100 columns (clap wraps descriptions to the terminal,
/// at most 100), and on an 80-column terminal every line of the examples (and the text after
/// them) fits 80: no example wraps mid-command.
#[test]
fn help_fits_100_columns_and_examples_80() {
    let mut long: Vec<String> = Vec::new();
    for (columns, limit) in [(None, 100), (Some("80"), 80)] {
        for (name, text) in help_texts(columns) {
            let from = if limit == 100 {
                0
            } else {
                text.find("Examples:").unwrap_or(text.len())
            };
            for l in text[from..].lines() {
                let w = l.chars().count();
                if w > limit {
                    long.push(format!("`{name} --help` ({w} > {limit}): {l}"));
                }
            }
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn help_examples_continue_over_lines() {
    let lines = help_commands();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tokenfit sweep --devices")
                && l.ends_with("--ctx 4k,32k")
                && !l.contains('\\')),
        "{lines:?}"
    );
}

/// The README's first answer shows the output of the command above it: the `text` block that
/// follows the first `sh` block is what that command prints today (title and table).
#[test]
fn the_first_answer_shows_what_the_command_prints() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let command = readme_commands()
        .into_iter()
        .next()
        .expect("a first command");
    let sh = text.find("```sh\n").expect("an sh block");
    let start =
        sh + text[sh..].find("```text\n").expect("a text block after it") + "```text\n".len();
    let shown = &text[start..start + text[start..].find("```").expect("closed")];
    let args = words(&command);
    let out = common::tokenfit()
        .env_remove("COLUMNS")
        .args(&args[1..])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{command}");
    let printed = String::from_utf8_lossy(&out.stdout);
    for line in shown.lines() {
        assert!(
            printed.lines().any(|p| p.trim_end() == line.trim_end()),
            "README shows a line `{command}` no longer prints:\n{line}\n--- it prints:\n{printed}"
        );
    }
}
