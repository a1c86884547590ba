//! Trace rows left out of the fit for a stated cause (`left_out` in
//! `calibration/defaults.yaml`).

use super::hardware::Device;
use super::model::ModelRaw;
use super::quant::QuantRaw;
use serde::{Deserialize, Serialize};

/// Rows of one trace file left out of the fit for a stated cause (a source's figure that is
/// not the speed it claims to be): they are still mapped, predicted and counted by
/// `validate`, and `calibrate --verbose` lists them with the cause.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LeftOutRaw {
    /// The trace file's name (no directory).
    pub file: String,
    /// Device id.
    pub device: String,
    /// Model id.
    pub model: String,
    /// Quantization id.
    pub quant: String,
    /// `pp` or `tg`.
    pub test: String,
    /// Why, with the figures that show it.
    pub cause: String,
}

impl LeftOutRaw {
    /// Whether this rule covers a row of `file` (a path) for `device`, `model`, `quant`, `test`.
    pub fn covers(&self, file: &str, device: &str, model: &str, quant: &str, test: &str) -> bool {
        let name = std::path::Path::new(file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(file);
        (
            self.file.as_str(),
            self.device.as_str(),
            self.model.as_str(),
        ) == (name, device, model)
            && (self.quant.as_str(), self.test.as_str()) == (quant, test)
    }
}

/// Each rule names a file (no directory), a device, model and quantization the databases hold
/// and a test, `pp` or `tg`: a rule that matched no row through a typo would leave its rows in
/// the fit unsaid.
pub(super) fn check(
    rules: &[LeftOutRaw],
    (devices, models, quants): (&[Device], &[ModelRaw], &[QuantRaw]),
) -> crate::error::Result<()> {
    for (i, r) in rules.iter().enumerate() {
        let entry = format!("left_out[{i}]");
        let bad = |field: &str, msg: String| {
            Err(super::check::err(
                "calibration/defaults.yaml",
                &entry,
                field,
                msg,
            ))
        };
        if r.file.is_empty() || r.file.contains(['/', '\\']) {
            return bad(
                "file",
                format!(
                    "'{}' must be a trace file's name, without a directory",
                    r.file
                ),
            );
        }
        if !devices.iter().any(|d| d.id() == r.device) {
            return bad(
                "device",
                format!("'{}' is not the id of any device", r.device),
            );
        }
        if !models.iter().any(|m| m.id == r.model) {
            return bad("model", format!("'{}' is not the id of any model", r.model));
        }
        if !quants.iter().any(|q| q.id == r.quant) {
            return bad("quant", format!("'{}' is not the id of any quant", r.quant));
        }
        if !matches!(r.test.as_str(), "pp" | "tg") {
            return bad("test", format!("must be 'pp' or 'tg', got '{}'", r.test));
        }
    }
    Ok(())
}
