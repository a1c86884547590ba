//! Name resolution: exact id, alias, then a unique case-insensitive match; otherwise an
//! error listing candidates ("did you mean …").

use crate::error::{Error, Result};

/// Lowercase with every character that is not a letter or digit removed, so that
/// `RTX-4090`, `rtx 4090` and `RTX4090` compare equal.
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Something with an id, a display name and aliases.
pub trait Named {
    /// The id.
    fn id(&self) -> &str;
    /// The display name.
    fn display_name(&self) -> &str;
    /// Other names.
    fn aliases(&self) -> &[String];
}

/// Resolves `name` among `items`: exact id, exact alias or name (case-insensitive),
/// normalized id/alias/name, then a unique normalized prefix or substring match.
pub fn resolve<'a, T: Named>(kind: &'static str, name: &str, items: &'a [T]) -> Result<&'a T> {
    let trimmed = name.trim();
    if let Some(x) = items.iter().find(|x| x.id() == trimmed) {
        return Ok(x);
    }
    let lower = trimmed.to_lowercase();
    let by = |f: &dyn Fn(&T) -> bool| items.iter().filter(|x| f(x)).collect::<Vec<_>>();
    let exact = by(&|x: &T| {
        x.id().to_lowercase() == lower
            || x.display_name().to_lowercase() == lower
            || x.aliases().iter().any(|a| a.to_lowercase() == lower)
    });
    if let Some(x) = unique(kind, trimmed, exact)? {
        return Ok(x);
    }
    let n = normalize(trimmed);
    if n.is_empty() {
        return Err(Error::Unknown {
            kind,
            name: trimmed.to_string(),
            candidates: vec![],
        });
    }
    let norm = by(&|x: &T| {
        normalize(x.id()) == n
            || normalize(x.display_name()) == n
            || x.aliases().iter().any(|a| normalize(a) == n)
    });
    if let Some(x) = unique(kind, trimmed, norm)? {
        return Ok(x);
    }
    let partial =
        by(&|x: &T| normalize(x.id()).contains(&n) || normalize(x.display_name()).contains(&n));
    if let Some(x) = unique(kind, trimmed, partial)? {
        return Ok(x);
    }
    Err(Error::Unknown {
        kind,
        name: trimmed.to_string(),
        candidates: suggestions(trimmed, items),
    })
}

fn unique<'a, T: Named>(
    kind: &'static str,
    name: &str,
    found: Vec<&'a T>,
) -> Result<Option<&'a T>> {
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(found[0])),
        _ => Err(Error::Ambiguous {
            kind,
            name: name.to_string(),
            candidates: found.iter().take(12).map(|x| x.id().to_string()).collect(),
        }),
    }
}

/// Up to five ids closest to `name` by edit distance on normalized strings.
pub fn suggestions<T: Named>(name: &str, items: &[T]) -> Vec<String> {
    let n = normalize(name);
    let mut scored: Vec<(usize, &str)> = items
        .iter()
        .map(|x| {
            let d = std::iter::once(x.id())
                .chain(x.aliases().iter().map(String::as_str))
                .map(|c| edit_distance(&n, &normalize(c)))
                .min()
                .unwrap_or(usize::MAX);
            (d, x.id())
        })
        .collect();
    scored.sort();
    let limit = (n.len() / 2).max(3);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= limit)
        .take(5)
        .map(|(_, id)| id.to_string())
        .collect()
}

/// Levenshtein distance.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N(&'static str, Vec<String>);
    impl Named for N {
        fn id(&self) -> &str {
            self.0
        }
        fn display_name(&self) -> &str {
            self.0
        }
        fn aliases(&self) -> &[String] {
            &self.1
        }
    }

    #[test]
    fn resolves_and_suggests() {
        let items = vec![
            N("h100-sxm", vec!["NVIDIA H100 80GB HBM3".into()]),
            N("h100-pcie", vec![]),
            N("rtx-4090", vec!["4090 24GB".into()]),
        ];
        assert_eq!(resolve("device", "RTX 4090", &items).unwrap().0, "rtx-4090");
        assert_eq!(
            resolve("device", "4090 24gb", &items).unwrap().0,
            "rtx-4090"
        );
        assert!(matches!(
            resolve("device", "h100", &items),
            Err(Error::Ambiguous { .. })
        ));
        match resolve("device", "rtx-4080", &items) {
            Err(Error::Unknown { candidates, .. }) => assert_eq!(candidates[0], "rtx-4090"),
            other => panic!("expected unknown, got {:?}", other.map(|x| x.0)),
        }
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
