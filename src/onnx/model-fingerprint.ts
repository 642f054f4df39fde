import type { KvFingerprint } from "../kv/index.js";

/**
 * The identity of a model, written into a `.kv` sidecar's `fingerprint` and checked before a cache is loaded
 * (docs/kv-format.md#fingerprint): the sidecar's {@link KvFingerprint} fields, without its extra keys.
 */
export type ModelFingerprint = Pick<
  KvFingerprint,
  "architecture" | "num_kv_heads" | "head_dim" | "rope_theta" | "model_dtype" | "config_sha256" | "tokenizer_sha256" | "revision"
>;

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
