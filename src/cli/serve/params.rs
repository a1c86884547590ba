//! The parameters of a command as the HTTP API and the MCP tools name them, read from the
//! command's clap definition: a flag added to the CLI appears in both, with its help text,
//! default and allowed values. Flags that would read or write files on the server's disk
//! (`--gguf`, `--hf-config`, `--plot`, `-o`, `--db`) and `--format` are not taken.

use clap::CommandFactory;

/// How a parameter is given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `--name VALUE`.
    Value,
    /// `--name` alone (a switch): true or false over the wire.
    Switch,
    /// A positional argument, named by its clap id (`model`, `id`).
    Positional,
}

/// One parameter of a command.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    /// The flag without its dashes (`ctx`, `kv-type`), or a positional argument's id.
    pub name: String,
    /// The flag's help text.
    pub help: String,
    /// How it is given.
    pub kind: Kind,
    /// Whether the command needs it.
    pub required: bool,
    /// The default, as the CLI shows it.
    pub default: Option<String>,
    /// The allowed values, when the CLI lists them.
    pub choices: Vec<String>,
}

/// Flags no request may set: output goes back in the answer, and a request never names a
/// file on the server's disk.
pub(crate) const NOT_OVER_THE_WIRE: &[&str] = &[
    "format",
    "output",
    "db",
    "plot",
    "gguf",
    "hf-config",
    "help",
    "version",
];

/// The parameters of the (sub)command at `path` (`["fit"]`, `["plot", "cliff"]`), with the
/// names in `required` marked required besides those clap requires.
pub(crate) fn params(path: &[&str], required: &[&str]) -> Vec<Param> {
    let mut cmd = super::super::Cli::command();
    for p in path {
        match cmd.find_subcommand(p) {
            Some(c) => cmd = c.clone(),
            None => return Vec::new(),
        }
    }
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| {
            let (name, kind) = match a.get_long() {
                Some(l) if !a.get_action().takes_values() => (l.to_string(), Kind::Switch),
                Some(l) => (l.to_string(), Kind::Value),
                None if a.is_positional() => (a.get_id().to_string(), Kind::Positional),
                None => return None,
            };
            if NOT_OVER_THE_WIRE.contains(&name.as_str()) {
                return None;
            }
            let defaults: Vec<String> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.is_empty())
                .collect();
            Some(Param {
                required: a.is_required_set() || required.contains(&name.as_str()),
                help: a.get_help().map(|h| h.to_string()).unwrap_or_default(),
                default: (!defaults.is_empty()).then(|| defaults.join(",")),
                choices: a
                    .get_possible_values()
                    .iter()
                    .filter(|v| !v.is_hide_set())
                    .map(|v| v.get_name().to_string())
                    .collect(),
                name,
                kind,
            })
        })
        .collect()
}
