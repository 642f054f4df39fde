/**
 * The identity of a model, written into a `.kv` sidecar's `fingerprint` and checked before a cache is loaded
 * (kv-format.md §9). Wire names stay snake_case.
 */
export type ModelFingerprint = {
  /** `config.json` `architectures[0]`, e.g. `Qwen3ForCausalLM`. */
  architecture: string;
  /** `num_key_value_heads`. */
  num_kv_heads: number;
  /** `head_dim` (or hidden_size / num_attention_heads). */
  head_dim: number;
  /** RoPE base (`rope_theta`; 10000, the Hugging Face default, when the config has none). */
  rope_theta: number;
  /** The dtype the model ran in: `float32`, `float16`, or a quantized variant name (`q4f16`, `q8`, …). */
  model_dtype: string;
  /** Lowercase hex SHA-256 of the `config.json` bytes. */
  config_sha256: string;
  /** Lowercase hex SHA-256 of the `tokenizer.json` bytes. */
  tokenizer_sha256: string;
  /** Hugging Face commit id of the model files, or null when unknown. */
  revision: string | null;
};

/** Fingerprint fields in the order they are compared. */
export const FINGERPRINT_FIELDS = [
  "architecture",
  "num_kv_heads",
  "head_dim",
  "rope_theta",
  "config_sha256",
  "tokenizer_sha256",
  "revision",
  "model_dtype",
] as const satisfies ReadonlyArray<keyof ModelFingerprint>;
