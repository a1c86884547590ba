//! The attention shape of a model: which kinds of token mixer its layers use (full softmax
//! attention, sliding window, MLA, linear attention, Mamba) and the head size of its softmax
//! attention, e.g. `full/hd128` (Llama), `full+sliding/hd256` (Gemma 3), `full+linear/hd256`
//! (Qwen3.6: one full-attention layer in four), `mla` (DeepSeek V3). The attention kernels a
//! backend runs differ by these (flash-attention tiles are chosen per head size; linear and
//! MLA layers run kernels of their own), so a calibration that never saw a shape on a
//! backend extrapolates to it.

use crate::db::model::{Mixer, ModelRaw};

/// The attention shape of `m` (see the module docs).
pub fn attention_shape(m: &ModelRaw) -> String {
    let kinds: Vec<&str> = [
        (Mixer::Full, "full"),
        (Mixer::Sliding, "sliding"),
        (Mixer::Mla, "mla"),
        (Mixer::Linear, "linear"),
        (Mixer::Mamba, "mamba"),
    ]
    .into_iter()
    .filter(|(k, _)| m.layers.iter().any(|g| g.mixer == *k))
    .map(|(_, name)| name)
    .collect();
    let kinds = if kinds.is_empty() {
        "none".to_string()
    } else {
        kinds.join("+")
    };
    let softmax = m
        .layers
        .iter()
        .any(|g| matches!(g.mixer, Mixer::Full | Mixer::Sliding));
    match m.attention.as_ref().filter(|_| softmax) {
        Some(a) => format!("{kinds}/hd{}", a.head_dim),
        None => kinds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    #[test]
    fn shapes_of_known_models() {
        let db = Db::load(None).expect("shipped databases");
        let shape = |id: &str| attention_shape(db.model(id).expect("model"));
        assert_eq!(shape("llama-3.1-8b"), "full/hd128");
        assert_eq!(shape("qwen3.6-27b"), "full+linear/hd256");
        assert_eq!(shape("gemma-3-27b"), "full+sliding/hd128");
        assert_eq!(shape("deepseek-v3"), "mla");
    }
}
