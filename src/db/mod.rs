//! The databases: devices, models, quantization schemes, backends and efficiencies.
//!
//! Built-in YAML files are embedded in the binary (see `build.rs`); files from a user
//! directory (`--db DIR` or `TOKENFIT_DB`) are merged over them by id. Every entry is
//! validated on load and errors name the file, the entry and the field.

pub mod calibration;
mod check;
pub mod cpu;
pub mod hardware;
pub mod left_out;
pub mod link;
mod load;
pub mod model;
pub mod power;
pub mod pricing;
pub mod quant;
pub mod resolve;
mod validate;
mod validate_model;
pub use validate::device as validate_device;
pub use validate::efficiency as validate_efficiency;

/// Id of the machine saved by `tokenfit detect --save` (see `machine::saved`).
pub const THIS_DEVICE_ID: &str = "this";

use crate::error::{Error, Result};
use calibration::{BackendRaw, Efficiency, EfficiencyEntry, FittedRaw, HostEfficiency};
use hardware::{Device, DeviceKind};
use model::ModelRaw;
use pricing::{LocalCostRaw, OfferingRaw};
use quant::{KvTypeRaw, QuantRaw, TensorTypeRaw};
use resolve::{resolve, Named};
use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));

/// Free text given as one string or a list of strings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Text {
    /// One string.
    One(String),
    /// Several strings.
    Many(Vec<String>),
}

/// All databases, validated.
#[derive(Debug, Clone)]
pub struct Db {
    /// Devices.
    pub devices: Vec<Device>,
    /// Models.
    pub models: Vec<ModelRaw>,
    /// Quantization schemes.
    pub quants: Vec<QuantRaw>,
    /// ggml tensor types.
    pub tensor_types: Vec<TensorTypeRaw>,
    /// KV cache element types.
    pub kv_types: Vec<KvTypeRaw>,
    /// Backends.
    pub backends: Vec<BackendRaw>,
    /// Efficiency priors.
    pub priors: Vec<EfficiencyEntry>,
    /// Host-side efficiency.
    pub host: HostEfficiency,
    /// Trace rows left out of the fit for a stated cause.
    pub left_out: Vec<left_out::LeftOutRaw>,
    /// Fitted efficiencies.
    pub fitted: FittedRaw,
    /// API offerings (prices per token).
    pub offerings: Vec<OfferingRaw>,
    /// Defaults of the local side of a break-even (electricity price, amortization).
    pub local_cost: LocalCostRaw,
    /// Links between devices.
    pub links: Vec<link::LinkEntryRaw>,
    /// The power model's parameters (`calibration/power.yaml`).
    pub power_model: power::PowerModelRaw,
    /// Files loaded, in order (built-ins first).
    pub files: Vec<String>,
    /// llama.cpp's CPU kernels (`calibration/cpu.yaml`).
    pub cpu_kernels: Vec<cpu::CpuKernels>,
}

impl Db {
    /// Resolves a device name. The saved machine `this` owns the names it was saved under
    /// (the `cpu_info` / `gpu_info` llama-bench prints) ahead of a catalogue entry that
    /// shares them.
    pub fn device(&self, name: &str) -> Result<&Device> {
        let n = resolve::normalize(name);
        let this = self.devices.iter().find(|d| d.raw.id == THIS_DEVICE_ID);
        if let Some(d) = this.filter(|d| {
            name.trim() == THIS_DEVICE_ID
                || d.raw.aliases.iter().any(|a| resolve::normalize(a) == n)
        }) {
            return Ok(d);
        }
        if this.is_none() && name.trim() == THIS_DEVICE_ID {
            return Err(Error::Input(
                "no saved machine 'this': run `tokenfit detect --save` first".into(),
            ));
        }
        resolve("device", name, &self.devices)
    }
    /// Resolves a model name.
    pub fn model(&self, name: &str) -> Result<&ModelRaw> {
        resolve("model", name, &self.models)
    }
    /// Resolves a quantization scheme name.
    pub fn quant(&self, name: &str) -> Result<&QuantRaw> {
        resolve("quant", name, &self.quants)
    }
    /// Resolves a KV cache type.
    pub fn kv_type(&self, name: &str) -> Result<&KvTypeRaw> {
        resolve("KV cache type", name, &self.kv_types)
    }
    /// Resolves a link between devices.
    pub fn link(&self, name: &str) -> Result<&link::LinkEntryRaw> {
        resolve("link", name, &self.links)
    }
    /// Resolves a backend.
    pub fn backend(&self, name: &str) -> Result<&BackendRaw> {
        resolve("backend", name, &self.backends)
    }
    /// The backend a backend id is a variant of, else the id itself (`llama.cpp-rocm` for
    /// `llama.cpp-rocm-rocblas`): the backend whose kernels and libraries a variant shares.
    /// Empty for an id the database does not hold.
    pub fn backend_root(&self, id: &str) -> &str {
        self.backends
            .iter()
            .find(|b| b.id == id)
            .map_or("", |b| b.variant_of.as_deref().unwrap_or(&b.id))
    }
    /// Resolves an API offering.
    pub fn offering(&self, name: &str) -> Result<&OfferingRaw> {
        resolve("API offering", name, &self.offerings)
    }
    /// Looks up a ggml tensor type by id.
    pub fn tensor_type(&self, id: &str) -> Option<&TensorTypeRaw> {
        self.tensor_types.iter().find(|t| t.id == id)
    }
    /// Validates a model entry made outside the database files (an imported GGUF or
    /// config.json) with the rules of the database.
    pub fn check_model(&self, file: &str, m: &ModelRaw) -> Result<()> {
        validate::model(file, m, &self.tensor_types)
    }

    /// The default backend of a device (the first backend whose `default_for` names the
    /// device's id, family or vendor).
    pub fn default_backend(&self, d: &Device) -> Result<&BackendRaw> {
        let keys = [
            d.raw.id.as_str(),
            d.raw.family.as_str(),
            d.raw.vendor.as_str(),
        ];
        keys.iter()
            .find_map(|k| {
                self.backends
                    .iter()
                    .find(|b| b.default_for.iter().any(|v| v == k))
            })
            .ok_or_else(|| {
                Error::Input(format!(
                    "no default backend for device '{}'; pass --backend",
                    d.raw.id
                ))
            })
    }

    /// The efficiency for a device on a backend: fitted on the device, else borrowed from
    /// the fit of its family's devices of its kind, else from its vendor's devices of its kind,
    /// else from its kind's, else the backend's, else the backend's prior (family-specific
    /// first).
    pub fn efficiency(&self, d: &Device, backend: &str) -> (Efficiency, Provenance) {
        self.efficiency_in(&self.fitted.entries, d, backend)
    }

    /// [`Db::efficiency`] with another set of fitted entries (a leave-one-out fit).
    pub fn efficiency_in(
        &self,
        fitted: &[EfficiencyEntry],
        d: &Device,
        backend: &str,
    ) -> (Efficiency, Provenance) {
        let on_backend = |e: &&EfficiencyEntry| e.backend == backend;
        let fitted_in = |dev: Option<&str>,
                         fam: Option<&str>,
                         kind: Option<DeviceKind>,
                         vendor: Option<&str>| {
            fitted.iter().filter(on_backend).find(|e| {
                e.device.as_deref() == dev
                    && (dev.is_some()
                        || (e.family.as_deref() == fam
                            && e.kind == kind
                            && e.vendor.as_deref() == vendor))
            })
        };
        let fitted_for = |dev: Option<&str>, fam: Option<&str>, kind: Option<DeviceKind>| {
            fitted_in(dev, fam, kind, None)
        };
        if let Some(e) = fitted_for(Some(d.id()), None, None) {
            return (e.eff, Provenance::Fitted);
        }
        // The family's fit for this kind of device (a fitted file without kinds on its
        // family entries: the family's).
        if let Some(e) = fitted_for(None, Some(&d.raw.family), Some(d.raw.kind))
            .or_else(|| fitted_for(None, Some(&d.raw.family), None))
        {
            return (e.eff, Provenance::Family);
        }
        // The backend's fit for this kind of device from this vendor's devices, else for
        // the kind.
        if let Some(e) = fitted_in(None, None, Some(d.raw.kind), Some(&d.raw.vendor))
            .or_else(|| fitted_for(None, None, Some(d.raw.kind)))
        {
            return (e.eff, Provenance::Kind);
        }
        if let Some(e) = fitted_for(None, None, None) {
            return (e.eff, Provenance::Backend);
        }
        (self.prior(&d.raw.family, backend), Provenance::Prior)
    }

    /// The documented prior of a backend (family-specific first, then the backend's, then
    /// the first prior of the file).
    pub fn prior(&self, family: &str, backend: &str) -> Efficiency {
        let on_backend = |e: &&EfficiencyEntry| e.backend == backend;
        self.priors
            .iter()
            .filter(on_backend)
            .find(|e| e.family.as_deref() == Some(family))
            .or_else(|| {
                self.priors
                    .iter()
                    .filter(on_backend)
                    .find(|e| e.family.is_none())
            })
            .or_else(|| self.priors.first())
            .map(|e| e.eff)
            .expect("defaults.yaml holds at least one prior (checked on load)")
    }
}

/// Where an efficiency came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Fitted on traces of this very device and backend.
    Fitted,
    /// Borrowed from the fit of the device's family on this backend.
    Family,
    /// Borrowed from the fit of the devices of its kind (unified SoC, discrete GPU) on this
    /// backend, or for a kind without traces on the backend, the backend's discrete fit
    /// scaled by the ratio other backends show.
    Kind,
    /// Borrowed from the fit of all devices on this backend.
    Backend,
    /// The documented prior of `calibration/defaults.yaml` (no traces).
    Prior,
}

impl Provenance {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Provenance::Fitted => "fitted",
            Provenance::Family => "family",
            Provenance::Kind => "kind",
            Provenance::Backend => "backend",
            Provenance::Prior => "prior",
        }
    }
}

macro_rules! named {
    ($t:ty, $name:ident, $aliases:ident) => {
        impl Named for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn display_name(&self) -> &str {
                &self.$name
            }
            fn aliases(&self) -> &[String] {
                &self.$aliases
            }
        }
    };
}
named!(ModelRaw, name, aliases);
named!(QuantRaw, name, aliases);
named!(BackendRaw, name, aliases);

impl Named for link::LinkEntryRaw {
    fn id(&self) -> &str {
        &self.id
    }
    fn display_name(&self) -> &str {
        &self.name
    }
    fn aliases(&self) -> &[String] {
        &[]
    }
}
named!(OfferingRaw, name, aliases);

impl Named for KvTypeRaw {
    fn id(&self) -> &str {
        &self.id
    }
    fn display_name(&self) -> &str {
        &self.id
    }
    fn aliases(&self) -> &[String] {
        &[]
    }
}

impl Named for Device {
    fn id(&self) -> &str {
        &self.raw.id
    }
    fn display_name(&self) -> &str {
        &self.raw.name
    }
    fn aliases(&self) -> &[String] {
        &self.raw.aliases
    }
}
