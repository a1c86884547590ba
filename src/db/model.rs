//! Model architectures, read from `model-db/`. Values come from each model's own
//! `config.json`; see `model-db/README.md` for the schema.

use serde::{Deserialize, Serialize};

/// Token mixer of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mixer {
    /// Full causal softmax attention.
    Full,
    /// Sliding-window (or chunked) attention.
    Sliding,
    /// Multi-head latent attention (DeepSeek V2/V3).
    Mla,
    /// Linear attention with a recurrent state (Gated DeltaNet).
    Linear,
    /// Mamba2 state-space mixer.
    Mamba,
    /// No mixer (an FFN-only layer).
    None,
}

/// Feed-forward block of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FfnKind {
    /// Dense FFN.
    Dense,
    /// Mixture of experts.
    Moe,
    /// No FFN.
    None,
}

/// Softmax attention parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AttentionRaw {
    /// Query heads.
    pub heads: u32,
    /// Key/value heads.
    pub kv_heads: u32,
    /// Head dimension.
    pub head_dim: u32,
    /// Output gate doubles q_proj (Qwen3.5/3.6/next).
    #[serde(default)]
    pub q_gate: bool,
    /// Window of sliding layers, tokens.
    #[serde(default)]
    pub sliding_window: Option<u64>,
}

/// Multi-head latent attention parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MlaRaw {
    /// Heads.
    pub heads: u32,
    /// Query LoRA rank (None: q not compressed).
    #[serde(default)]
    pub q_lora_rank: Option<u32>,
    /// KV latent rank.
    pub kv_lora_rank: u32,
    /// Non-rotary q/k head dim.
    pub qk_nope_head_dim: u32,
    /// Rotary q/k head dim.
    pub qk_rope_head_dim: u32,
    /// Value head dim.
    pub v_head_dim: u32,
}

/// Gated DeltaNet parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinearRaw {
    /// Key heads.
    pub key_heads: u32,
    /// Value heads.
    pub value_heads: u32,
    /// Key head dim.
    pub key_head_dim: u32,
    /// Value head dim.
    pub value_head_dim: u32,
    /// Causal conv kernel width.
    pub conv_kernel: u32,
}

/// Mamba2 parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MambaRaw {
    /// Heads.
    pub heads: u32,
    /// Head dim (d_inner = heads × head_dim).
    pub head_dim: u32,
    /// SSM state size.
    pub state_size: u32,
    /// Groups.
    pub groups: u32,
    /// Conv kernel width.
    pub conv_kernel: u32,
}

/// Dense FFN parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FfnRaw {
    /// Intermediate size.
    pub size: u64,
    /// Gate + up + down (true) or up + down.
    #[serde(default = "yes")]
    pub gated: bool,
}

fn yes() -> bool {
    true
}

/// Mixture-of-experts parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MoeRaw {
    /// Routed experts per layer.
    pub experts: u32,
    /// Routed experts per token.
    pub experts_per_token: u32,
    /// Intermediate size of one routed expert.
    pub expert_ffn_size: u64,
    /// Shared experts per layer.
    #[serde(default)]
    pub shared_experts: u32,
    /// Intermediate size of a shared expert (0: same as routed).
    #[serde(default)]
    pub shared_expert_ffn_size: u64,
    /// Gated experts.
    #[serde(default = "yes")]
    pub gated: bool,
}

/// A group of identical layers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayerGroupRaw {
    /// How many layers.
    pub count: u32,
    /// Their mixer.
    pub mixer: Mixer,
    /// Their FFN.
    pub ffn: FfnKind,
}

/// Published parameter counts (default: none, as for a model read from its own files).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedRaw {
    /// Total parameters, billions.
    pub total_params_b: f64,
    /// Active parameters per token, billions.
    pub active_params_b: f64,
    /// What the publisher's active count includes: `all` (default: every active weight),
    /// `matmul` (input embedding excluded, as the gpt-oss card counts) or `non_embedding`
    /// (embedding and output head excluded).
    #[serde(default)]
    pub active_basis: Option<String>,
    /// The active count is a nominal figure from the name ("A3B" = 3B), rounded to whole
    /// billions: it is checked within ±0.5 B instead of 1%.
    #[serde(default)]
    pub active_nominal: bool,
    /// Where the counts come from.
    pub source: String,
}

/// Tensor groups shipped already quantized.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NativeQuantRaw {
    /// Routed experts' tensor type (e.g. mxfp4).
    #[serde(default)]
    pub experts: Option<String>,
}

/// Raw mirror of one model entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRaw {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Architecture family.
    pub family: String,
    /// Hugging Face repository.
    #[serde(default)]
    pub hf_repo: Option<String>,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Hidden size.
    pub hidden_size: u64,
    /// Vocabulary size.
    pub vocab_size: u64,
    /// Output head shares the embedding.
    pub tied_embeddings: bool,
    /// Maximum context, tokens.
    pub max_context: u64,
    /// Softmax attention.
    #[serde(default)]
    pub attention: Option<AttentionRaw>,
    /// MLA.
    #[serde(default)]
    pub mla: Option<MlaRaw>,
    /// Gated DeltaNet.
    #[serde(default)]
    pub linear: Option<LinearRaw>,
    /// Mamba2.
    #[serde(default)]
    pub mamba: Option<MambaRaw>,
    /// Dense FFN.
    #[serde(default)]
    pub ffn: Option<FfnRaw>,
    /// MoE.
    #[serde(default)]
    pub moe: Option<MoeRaw>,
    /// The layer stack.
    pub layers: Vec<LayerGroupRaw>,
    /// Natively quantized groups.
    #[serde(default)]
    pub native_quant: Option<NativeQuantRaw>,
    /// Published counts.
    pub published: PublishedRaw,
    /// Documents read.
    pub sources: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<super::Text>,
    /// The layer counts, worked out from `layers` on first use.
    #[serde(skip)]
    pub counts: LayerCounts,
}

/// Layers by mixer and by FFN kind, counted once: a prediction asks for them a dozen times.
/// Counted on first use, from the layer stack as it is then (a model's stack does not change
/// once the model is built).
#[derive(Debug, Clone, Default)]
pub struct LayerCounts(std::sync::OnceLock<Counts>);

/// The counts.
#[derive(Debug, Clone, Copy)]
struct Counts {
    all: u32,
    /// By [`Mixer`], in declaration order.
    mixer: [u32; 6],
    /// By [`FfnKind`], in declaration order.
    ffn: [u32; 3],
}

impl LayerCounts {
    fn of(&self, layers: &[LayerGroupRaw]) -> &Counts {
        self.0.get_or_init(|| {
            let mut c = Counts {
                all: 0,
                mixer: [0; 6],
                ffn: [0; 3],
            };
            for g in layers {
                c.all += g.count;
                c.mixer[g.mixer as usize] += g.count;
                c.ffn[g.ffn as usize] += g.count;
            }
            c
        })
    }
}

/// Raw mirror of a model file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFileRaw {
    /// The models.
    pub models: Vec<ModelRaw>,
}

impl ModelRaw {
    /// Number of layers.
    pub fn n_layers(&self) -> u32 {
        self.counts.of(&self.layers).all
    }
    /// Number of layers with the given mixer.
    pub fn count_mixer(&self, m: Mixer) -> u32 {
        self.counts.of(&self.layers).mixer[m as usize]
    }
    /// Number of layers with the given FFN.
    pub fn count_ffn(&self, f: FfnKind) -> u32 {
        self.counts.of(&self.layers).ffn[f as usize]
    }
    /// Whether any layer is a mixture of experts.
    pub fn is_moe(&self) -> bool {
        self.count_ffn(FfnKind::Moe) > 0
    }
}
