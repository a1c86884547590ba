//! Loading the databases: the shipped files prepared at build time (JSON, see `build.rs`)
//! and a user's `--db` YAML files, merged by id, then validated into a [`Db`].

use super::calibration::{DefaultsRaw, FittedRaw};
use super::hardware::HardwareFileRaw;
use super::model::{ModelFileRaw, ModelRaw};
use super::pricing::{LocalCostRaw, OfferingRaw, PricingFileRaw};
use super::quant::{KvTypeRaw, QuantFileRaw, QuantRaw, TensorTypeRaw};
use super::{hardware, left_out, link, power, pricing, validate, Db, BUILTIN_FILES};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::Path;

#[derive(Default)]
struct Collect {
    devices: Vec<(String, hardware::DeviceRaw)>,
    models: Vec<(String, ModelRaw)>,
    quants: Vec<(String, QuantRaw)>,
    tensor_types: Vec<(String, TensorTypeRaw)>,
    kv_types: Vec<(String, KvTypeRaw)>,
    defaults: Option<DefaultsRaw>,
    fitted: Option<FittedRaw>,
    offerings: Vec<(String, OfferingRaw)>,
    local_cost: Option<(String, LocalCostRaw)>,
    links: Vec<(String, link::LinkEntryRaw)>,
    power_model: Option<(String, power::PowerModelRaw)>,
    cpu_kernels: Vec<super::cpu::CpuKernels>,
    files: Vec<String>,
}

fn upsert<T>(v: &mut Vec<(String, T)>, file: &str, item: T, id: impl Fn(&T) -> &str) {
    if let Some(slot) = v.iter_mut().find(|(_, x)| id(x) == id(&item)) {
        *slot = (file.to_string(), item);
    } else {
        v.push((file.to_string(), item));
    }
}

/// Top-level keys a database file may have.
const KNOWN_KEYS: [&str; 11] = [
    "power_model",
    "devices",
    "models",
    "schemes",
    "tensor_types",
    "kv_types",
    "backends",
    "entries",
    "links",
    "offerings",
    "local_cost",
];

/// Keys of a block-style YAML mapping's top level (lines that start with a key and a colon).
fn top_level_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim().to_string()))
        .collect()
}

/// The text of a database file: YAML (a user's), or the JSON the build prepared from a
/// shipped YAML file.
#[derive(Debug, Clone, Copy)]
enum Source<'t> {
    /// YAML text.
    Yaml(&'t str),
    /// Build-time JSON with the file's top-level keys.
    Prepared(&'t [&'t str], &'t str),
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, src: Source) -> Result<T> {
    match src {
        Source::Yaml(text) => serde_norway::from_str(text).map_err(|e| Error::Parse {
            file: file.to_string(),
            line: e.location().map(|l| l.line()),
            msg: e.to_string(),
        }),
        Source::Prepared(_, json) => serde_json::from_str(json).map_err(|e| Error::Parse {
            file: file.to_string(),
            line: None,
            msg: e.to_string(),
        }),
    }
}

impl Collect {
    fn add(&mut self, file: &str, text: Source) -> Result<()> {
        // The kind of file from its top-level keys: prepared with the file, or a line scan
        // in block style (each file is parsed once, into its typed form); a full parse only
        // when the scan finds none.
        let mut keys: Vec<String> = match text {
            Source::Prepared(keys, _) => keys.iter().map(|k| k.to_string()).collect(),
            Source::Yaml(t) => top_level_keys(t),
        };
        if !keys.iter().any(|k| KNOWN_KEYS.contains(&k.as_str())) {
            let v: serde_norway::Value = parse(file, text)?;
            keys = v
                .as_mapping()
                .map(|m| {
                    m.keys()
                        .filter_map(|k| k.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
        }
        let has = |k: &str| keys.iter().any(|x| x == k);
        if has("cpu_kernels") {
            self.add_cpu_kernels(file, text)?;
        } else if has("power_model") {
            let f: power::PowerModelFileRaw = parse(file, text)?;
            power::validate_model(file, &f.power_model)?;
            self.power_model = Some((file.to_string(), f.power_model));
        } else if has("links") {
            let f: link::LinkFileRaw = parse(file, text)?;
            for l in f.links {
                upsert(&mut self.links, file, l, |l| &l.id);
            }
        } else if has("devices") {
            let f: HardwareFileRaw = parse(file, text)?;
            for d in f.devices {
                upsert(&mut self.devices, file, d, |d| &d.id);
            }
        } else if has("models") {
            let f: ModelFileRaw = parse(file, text)?;
            for m in f.models {
                upsert(&mut self.models, file, m, |m| &m.id);
            }
        } else if has("schemes") || has("tensor_types") || has("kv_types") {
            let f: QuantFileRaw = parse(file, text)?;
            for q in f.schemes {
                upsert(&mut self.quants, file, q, |q| &q.id);
            }
            for t in f.tensor_types {
                upsert(&mut self.tensor_types, file, t, |t| &t.id);
            }
            for k in f.kv_types {
                upsert(&mut self.kv_types, file, k, |k| &k.id);
            }
        } else if has("backends") {
            self.defaults = Some(parse(file, text)?);
        } else if has("entries") {
            self.fitted = Some(parse(file, text)?);
        } else if has("offerings") || has("local_cost") {
            let f: PricingFileRaw = parse(file, text)?;
            for o in f.offerings {
                upsert(&mut self.offerings, file, o, |o| &o.id);
            }
            if let Some(l) = f.local_cost {
                self.local_cost = Some((file.to_string(), l));
            }
        } else {
            return Err(Error::Parse {
                file: file.to_string(),
                line: None,
                msg: "not a tokenfit database file: expected a top-level key devices, models, schemes, backends, entries or offerings".into(),
            });
        }
        self.files.push(file.to_string());
        Ok(())
    }

    /// A `cpu_kernels` file: validated, and a later file (`--db`) replaces the entries of the
    /// backends it names.
    fn add_cpu_kernels(&mut self, file: &str, text: Source) -> Result<()> {
        let f: super::cpu::CpuKernelsFileRaw = parse(file, text)?;
        for k in &f.cpu_kernels {
            super::cpu::validate_kernels(file, k)?;
        }
        self.cpu_kernels
            .retain(|k| !f.cpu_kernels.iter().any(|n| n.backend == k.backend));
        self.cpu_kernels.extend(f.cpu_kernels);
        Ok(())
    }
}

/// Validates the offerings (each `local_model` must be a model id) and the local-cost
/// defaults (required: `model-db/api-pricing.yaml` holds them).
fn pricing_of(
    offerings: Vec<(String, OfferingRaw)>,
    local_cost: Option<(String, LocalCostRaw)>,
    models: &[ModelRaw],
) -> Result<(Vec<OfferingRaw>, LocalCostRaw)> {
    for (f, o) in &offerings {
        pricing::offering(f, o)?;
        if let Some(m) = &o.local_model {
            if !models.iter().any(|x| &x.id == m) {
                return Err(Error::Db {
                    file: f.clone(),
                    entry: o.id.clone(),
                    field: "local_model".into(),
                    msg: format!("'{m}' is not a model id"),
                });
            }
        }
    }
    let offerings: Vec<_> = offerings.into_iter().map(|x| x.1).collect();
    validate::unique_aliases(
        "API offering",
        offerings.iter().map(|o| (o.id.as_str(), &o.aliases)),
    )?;
    let (f, local_cost) = local_cost.ok_or_else(|| Error::Parse {
        file: "model-db/api-pricing.yaml".into(),
        line: None,
        msg: "missing: no file holds the top-level key local_cost".into(),
    })?;
    pricing::local_cost(&f, &local_cost)?;
    Ok((offerings, local_cost))
}

fn collect_yaml(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::Io {
        path: dir.to_path_buf(),
        cause: e,
    })?;
    for e in rd {
        let e = e.map_err(|e| Error::Io {
            path: dir.to_path_buf(),
            cause: e,
        })?;
        let p = e.path();
        if p.is_dir() {
            collect_yaml(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
    Ok(())
}

impl Db {
    /// The built-in databases only.
    pub fn builtin() -> Result<Db> {
        Db::load(None)
    }

    /// Built-ins, with the YAML files of `user_dir` (searched recursively) merged over them.
    pub fn load(user_dir: Option<&Path>) -> Result<Db> {
        let mut c = Collect::default();
        for (path, keys, json) in BUILTIN_FILES {
            c.add(path, Source::Prepared(keys, json))?;
        }
        if let Some(dir) = user_dir {
            let mut files = Vec::new();
            collect_yaml(dir, &mut files)?;
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| Error::Io {
                    path: f.clone(),
                    cause: e,
                })?;
                c.add(&f.display().to_string(), Source::Yaml(&text))?;
            }
        }
        Db::from_collect(c)
    }

    fn from_collect(c: Collect) -> Result<Db> {
        let defaults = c.defaults.ok_or_else(|| Error::Parse {
            file: "calibration/defaults.yaml".into(),
            line: None,
            msg: "missing: the efficiency priors file was not found".into(),
        })?;
        let mut devices = c
            .devices
            .into_iter()
            .map(|(f, d)| validate::device(&f, d))
            .collect::<Result<Vec<_>>>()?;
        hardware::power_limited_peaks(&mut devices);
        validate::unique_aliases(
            "device",
            devices.iter().map(|d| (d.raw.id.as_str(), &d.raw.aliases)),
        )?;
        for (f, t) in &c.tensor_types {
            validate::tensor_type(f, t)?;
        }
        let tensor_types: Vec<_> = c.tensor_types.into_iter().map(|x| x.1).collect();
        for (f, m) in &c.models {
            validate::model(f, m, &tensor_types)?;
        }
        let models: Vec<_> = c.models.into_iter().map(|x| x.1).collect();
        validate::unique_aliases("model", models.iter().map(|m| (m.id.as_str(), &m.aliases)))?;
        for (f, q) in &c.quants {
            validate::quant(f, q)?;
        }
        let quants: Vec<_> = c.quants.into_iter().map(|x| x.1).collect();
        validate::unique_aliases("quant", quants.iter().map(|q| (q.id.as_str(), &q.aliases)))?;
        for (f, k) in &c.kv_types {
            validate::positive(f, &k.id, "bytes_per_element", k.bytes_per_element)?;
        }
        if defaults.priors.is_empty() {
            return Err(Error::Parse {
                file: "calibration/defaults.yaml".into(),
                line: None,
                msg: "no priors".into(),
            });
        }
        let fitted = c.fitted.unwrap_or_default();
        let power_model = c.power_model.map(|p| p.1).ok_or_else(|| Error::Parse {
            file: "calibration/power.yaml".into(),
            line: None,
            msg: "missing: the power model's parameters were not found".into(),
        })?;
        let (offerings, local_cost) = pricing_of(c.offerings, c.local_cost, &models)?;
        for e in defaults.priors.iter().chain(&fitted.entries) {
            validate::efficiency("calibration", e)?;
        }
        let families: Vec<&str> = devices.iter().map(|d| d.raw.family.as_str()).collect();
        validate::backends("calibration/defaults.yaml", &defaults.backends, &families)?;
        left_out::check(&defaults.left_out, (&devices, &models, &quants))?;
        let backends = with_parents_rules(defaults.backends);
        Ok(Db {
            devices,
            models,
            quants,
            tensor_types,
            kv_types: c.kv_types.into_iter().map(|x| x.1).collect(),
            backends,
            priors: defaults.priors,
            host: defaults.host,
            left_out: defaults.left_out,
            fitted,
            offerings,
            local_cost,
            links: links(c.links)?,
            power_model,
            cpu_kernels: c.cpu_kernels,
            files: c.files,
        })
    }
}

/// Backends with the kernel and build rules (`dequant_gemm`, `expert_gemm_all`,
/// `gemm_token_tiles`, `superseded_builds`) of the backend each is a variant of, where it has
/// none of its own.
fn with_parents_rules(
    mut backends: Vec<super::calibration::BackendRaw>,
) -> Vec<super::calibration::BackendRaw> {
    let parents = backends.clone();
    for b in backends.iter_mut() {
        let Some(p) = b
            .variant_of
            .as_ref()
            .and_then(|p| parents.iter().find(|x| &x.id == p))
        else {
            continue;
        };
        if b.dequant_gemm.is_none() {
            b.dequant_gemm = p.dequant_gemm.clone();
        }
        if b.expert_gemm_all.is_none() {
            b.expert_gemm_all = p.expert_gemm_all.clone();
        }
        if b.gemm_token_tiles.is_none() {
            b.gemm_token_tiles = p.gemm_token_tiles.clone();
        }
        if b.superseded_builds.is_none() {
            b.superseded_builds = p.superseded_builds.clone();
        }
    }
    backends
}

/// The links, each with a positive bandwidth and latency.
fn links(links: Vec<(String, link::LinkEntryRaw)>) -> Result<Vec<link::LinkEntryRaw>> {
    links
        .into_iter()
        .map(|(f, l)| {
            validate::positive(&f, &l.id, "bandwidth_gb_s", l.bandwidth_gb_s)?;
            validate::positive(&f, &l.id, "latency_us", l.latency_us)?;
            Ok(l)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON the build prepares loads to exactly what parsing the shipped YAML gives.
    #[test]
    fn prepared_databases_equal_the_yaml() {
        let mut yaml = Collect::default();
        for (path, _, _) in BUILTIN_FILES {
            let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
                .expect("shipped file reads");
            yaml.add(path, Source::Yaml(&text))
                .expect("shipped YAML parses");
        }
        let from_yaml = Db::from_collect(yaml).expect("shipped YAML validates");
        let prepared = Db::builtin().expect("prepared databases load");
        assert_eq!(format!("{prepared:?}"), format!("{from_yaml:?}"));
        assert!(prepared.devices.len() > 20 && prepared.models.len() > 20);
    }
}
