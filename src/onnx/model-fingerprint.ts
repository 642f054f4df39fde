/**
 * The identity of a model, written into a `.kv` sidecar's `fingerprint` and checked before a cache is loaded (see
 * docs/runtime.md#fingerprints): what decides whether a cache fits (the architecture fields of `config.json`, the tokenizer, the
 * weights), plus the older whole-file fields kept so that caches and readers of earlier versions still agree.
 */
export type ModelFingerprint = {
  /** `config.json` `architectures[0]`, e.g. `"Qwen3ForCausalLM"`. */
  architecture: string;
  /** KV heads per layer. */
  num_kv_heads: number;
  /** Head dimension. */
  head_dim: number;
  /** RoPE base. */
  rope_theta: number;
  /** The weight variant the model ran in: `"float32"`, `"float16"`, `"q4f16"`, … */
  model_dtype: string;
  /**
   * SHA-256 of the canonical JSON of the `config.json` fields that change the computation (see
   * {@link ARCHITECTURE_CONFIG_KEYS}): a key such as `transformers.js_config` added later does not change it.
   */
  arch_sha256: string;
  /** SHA-256 of the `tokenizer.json` bytes. */
  tokenizer_sha256: string;
  /**
   * SHA-256 over the sizes and sampled bytes of the variant's graph and external data files (see docs/runtime.md):
   * the weights' identity, cheap enough to compute on every load.
   */
  weights_sha256: string;
  /** Legacy: SHA-256 of the raw `config.json` bytes; compared only with a cache that has no `arch_sha256`. */
  config_sha256: string;
  /** Hugging Face commit, or null; compared only with a cache that has no `weights_sha256`. */
  revision: string | null;
};

/** Fingerprint fields in the order they are compared. */
export const FINGERPRINT_FIELDS = [
  "architecture",
  "num_kv_heads",
  "head_dim",
  "rope_theta",
  "arch_sha256",
  "config_sha256",
  "tokenizer_sha256",
  "weights_sha256",
  "revision",
  "model_dtype",
] as const satisfies ReadonlyArray<keyof ModelFingerprint>;

/**
 * The `config.json` keys `arch_sha256` covers: the ones that change what a forward pass computes, hence what a
 * cache holds. Bookkeeping keys (`_name_or_path`, `transformers_version`, `transformers.js_config`, `torch_dtype`,
 * token ids, `max_position_embeddings` outside rope scaling) are left out.
 */
export const ARCHITECTURE_CONFIG_KEYS = [
  "architectures",
  "model_type",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "head_dim",
  "hidden_size",
  "intermediate_size",
  "vocab_size",
  "hidden_act",
  "rms_norm_eps",
  "layer_norm_eps",
  "attention_bias",
  "mlp_bias",
  "tie_word_embeddings",
  "rope_theta",
  "rope_scaling",
  "rope_parameters",
  "partial_rotary_factor",
  "sliding_window",
  "use_sliding_window",
  "max_window_layers",
  "layer_types",
] as const;
