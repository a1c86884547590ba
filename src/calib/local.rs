//! A user's own calibration: measurements folded in with `tokenfit calibrate --add FILE`,
//! kept in the user's configuration directory (never in the shipped files), and merged over
//! the shipped fit so the next predictions are fitted to the user's machine.
//!
//! Each (backend, device) of the user's traces is fitted with the shipped efficiency of
//! that device (fitted, family, backend or prior) as its prior, so a handful of rows moves
//! the parameters only as far as the rows support.

use super::fit::{fit_level, Sample};
use crate::db::calibration::{EfficiencyEntry, FittedRaw};
use crate::db::Db;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File name of the local calibration inside the configuration directory.
pub const LOCAL_FILE: &str = "local-calibration.yaml";

/// The configuration directory: `TOKENFIT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/tokenfit`,
/// else `$HOME/.config/tokenfit`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("TOKENFIT_CONFIG_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("tokenfit"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config").join("tokenfit"))
}

/// Fits every (backend, device) of the samples toward the shipped efficiency.
pub fn fit_local(db: &Db, samples: &[Sample]) -> Vec<EfficiencyEntry> {
    let mut groups: BTreeMap<(String, String), Vec<&Sample>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.fitted()) {
        groups
            .entry((
                s.mapped.backend.id.clone(),
                s.mapped.device.id().to_string(),
            ))
            .or_default()
            .push(s);
    }
    groups
        .into_iter()
        .map(|((backend, device), rows)| {
            let d = rows[0].mapped.device;
            let (prior, prov) = db.efficiency(d, &backend);
            let (eff, q) = fit_level(&rows, &prior);
            EfficiencyEntry {
                backend,
                device: Some(device),
                family: Some(d.raw.family.clone()),
                kind: None,
                vendor: None,
                eff,
                rows: Some(rows.len()),
                quality: Some(q),
                source: Some(format!(
                    "local: fitted on the user's traces, pulled toward the shipped {} efficiency",
                    prov.label()
                )),
            }
        })
        .collect()
}

/// Copies `file` into `<dir>/traces/` (never overwriting an earlier one) and returns the
/// list of every trace file kept there.
pub fn add_trace(dir: &Path, file: &Path) -> Result<Vec<PathBuf>> {
    let traces = dir.join("traces");
    std::fs::create_dir_all(&traces).map_err(|e| Error::Io {
        path: traces.clone(),
        cause: e,
    })?;
    let name = file
        .file_name()
        .ok_or_else(|| Error::Input(format!("'{}' is not a file", file.display())))?;
    let mut target = traces.join(name);
    let mut k = 1;
    while target.exists() {
        target = traces.join(format!("{k}-{}", name.to_string_lossy()));
        k += 1;
    }
    std::fs::copy(file, &target).map_err(|e| Error::Io {
        path: file.to_path_buf(),
        cause: e,
    })?;
    let mut all: Vec<PathBuf> = std::fs::read_dir(&traces)
        .map_err(|e| Error::Io {
            path: traces.clone(),
            cause: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    all.sort();
    Ok(all)
}

/// Writes the local calibration (safely, see [`crate::file`]).
pub fn write_local(dir: &Path, fitted: &FittedRaw) -> Result<PathBuf> {
    let path = dir.join(LOCAL_FILE);
    let text = format!(
        "# Local calibration made by `tokenfit calibrate --add`; merged over the shipped fit.\n{}",
        serde_norway::to_string(fitted).expect("fitted parameters serialize")
    );
    crate::file::write_file(&path, text.as_bytes()).map_err(|e| Error::Io {
        path: path.clone(),
        cause: e,
    })?;
    Ok(path)
}

impl Db {
    /// Merges a local calibration file over the shipped fit: its entries replace shipped
    /// entries of the same backend and device. A missing file is not an error.
    pub fn merge_local_calibration(&mut self, path: &Path) -> Result<bool> {
        if !path.exists() {
            return Ok(false);
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            cause: e,
        })?;
        let f: FittedRaw = serde_norway::from_str(&text).map_err(|e| Error::Parse {
            file: path.display().to_string(),
            line: e.location().map(|l| l.line()),
            msg: e.to_string(),
        })?;
        for e in &f.entries {
            crate::db::validate_efficiency(&path.display().to_string(), e)?;
        }
        for e in f.entries {
            self.fitted.entries.retain(|x| {
                !(x.backend == e.backend && x.device.is_some() && x.device == e.device)
            });
            self.fitted.entries.insert(0, e);
        }
        Ok(true)
    }
}
