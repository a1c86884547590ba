//! `tokenfit serve`: the web page and the HTTP API on one port (127.0.0.1 unless `--host`
//! says otherwise). A few worker threads answer connections from a bounded queue
//! ([`http`]); each answer is one command's, rendered to JSON (or a chart to SVG). A panic
//! in an answer is caught and reported as a 500, so one bad request never stops the server.

pub(crate) mod api;
mod http;
mod openapi;
mod page;
pub(crate) mod params;
mod query;

use super::common::ModelFileArgs;
use anyhow::{anyhow, Result};
use api::{Api, Reply, StartedModel};
use clap::Args;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use tokenfit::db::Db;

/// `serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TCP port; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on; anything but a loopback address opens the API to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
    /// A model file offered on the page besides the database.
    #[command(flatten)]
    pub file: ModelFileArgs,
}

/// Serves until the process is stopped.
pub fn serve_cmd(mut db: Db, a: ServeArgs) -> Result<ExitCode> {
    let started = started_model(&mut db, &a.file)?;
    let api = Api::new(db, started);
    let listener = std::net::TcpListener::bind((a.host.as_str(), a.port))
        .map_err(|e| anyhow!("cannot listen on {}:{}: {e}", a.host, a.port))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}/");
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "tokenfit serving {url} (API: {url}api/openapi.json; Ctrl-C stops)"
        )?;
        out.flush()?;
    }
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {} — the API answers anyone who can reach this address",
            addr.ip()
        );
    }
    if a.open {
        open_browser(&url);
    }
    http::run(listener, move |rq| {
        catch_unwind(AssertUnwindSafe(|| route(&api, &rq.method, &rq.target)))
            .unwrap_or_else(|_| Reply::error(500, "internal error: the answer panicked", None))
    });
    Ok(ExitCode::SUCCESS)
}

/// Imports `--gguf` / `--hf-config` and adds the model to the databases under its id.
fn started_model(db: &mut Db, f: &ModelFileArgs) -> Result<Option<StartedModel>> {
    let Some(imp) = crate::cli::model_file::imported(db, f)? else {
        return Ok(None);
    };
    let (flag, path) = match (&f.gguf, &f.hf_config) {
        (Some(p), _) => ("gguf", p.clone()),
        (None, Some(p)) => ("hf-config", p.clone()),
        (None, None) => return Ok(None),
    };
    let id = imp.model.id.clone();
    if db.model(&id).map(|m| m.id != id).unwrap_or(true) {
        db.models.push(imp.model);
    }
    Ok(Some(StartedModel { id, flag, path }))
}

/// The reply to a method and a request target.
fn route(api: &Api, method: &str, target: &str) -> Reply {
    if target.len() > query::MAX_TARGET_BYTES {
        return Reply::error(
            414,
            &format!(
                "the request target is {} bytes; this server reads at most {}",
                target.len(),
                query::MAX_TARGET_BYTES
            ),
            None,
        );
    }
    if !matches!(method, "GET" | "HEAD") {
        return Reply::error(405, &format!("{method} is not answered; use GET"), None);
    }
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    if let Some(a) = page::asset(path) {
        return Reply {
            status: 200,
            content_type: a.content_type,
            body: a.body.to_vec(),
        };
    }
    let pairs = match query::parse(q) {
        Ok(p) => p,
        Err(e) => return Reply::error(400, &e, None),
    };
    match path.strip_prefix("/api/") {
        Some("openapi.json") => {
            let doc = openapi::document(api);
            Reply::json(200, serde_json::to_vec_pretty(&doc).unwrap_or_default())
        }
        Some("page") => Reply::json(
            200,
            serde_json::json!({ "started_model": api.started_model() })
                .to_string()
                .into_bytes(),
        ),
        Some(name) => api.call(name, &pairs),
        None => Reply::error(
            404,
            &format!("nothing at {path}; the page is at / and the API at /api/openapi.json"),
            None,
        ),
    }
}

/// Opens `url` in the default browser; a failure is reported, not fatal.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("warning: could not open a browser ({opener}: {e}); open {url} yourself");
    }
}
