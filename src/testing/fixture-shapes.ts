import { createHash } from "node:crypto";
import { FixtureModelError } from "./fixture-model-error.js";

/**
 * The dimensions of a Qwen3 decoder, with `config.json`'s own field names (wire names stay wire names).
 * Every field is what Hugging Face `Qwen3Config` calls it; see docs/runtime.md#qwen3-06b-reference-values for
 * Qwen3-0.6B's values.
 */
export interface Qwen3Dims {
  /** Rows of `model.embed_tokens.weight` (and logits). The real Qwen3 tokenizer needs 151936. */
  vocab_size: number;
  /** Width of the residual stream. */
  hidden_size: number;
  /** Width of the SwiGLU MLP. */
  intermediate_size: number;
  /** Decoder layers (one `past_key_values.{i}` pair each). */
  num_hidden_layers: number;
  /** Query heads. */
  num_attention_heads: number;
  /** Key/value heads; `num_attention_heads` must be a multiple of it (grouped-query attention). */
  num_key_value_heads: number;
  /** Per-head width; need not equal `hidden_size / num_attention_heads`. Must be even (rotate-half RoPE). */
  head_dim: number;
  /** Longest position the model claims to support (recorded in config.json; RoPE is computed on the fly). */
  max_position_embeddings: number;
  /** RoPE base θ. */
  rope_theta: number;
  /** RMSNorm epsilon. */
  rms_norm_eps: number;
}

/** Named fixture shapes: `tiny` for unit tests, `qwen3-0.6b` with the real Qwen3-0.6B dimensions for benchmarks. */
export type FixtureShapeName = "tiny" | "qwen3-0.6b";

/** A named shape, or custom dimensions (missing fields are taken from `tiny`). */
export type FixtureShape = FixtureShapeName | Partial<Qwen3Dims>;

const QWEN3_VOCAB_SIZE = 151936;

/**
 * The built-in shapes.
 * - `tiny`: 3 layers, hidden 64, 4 query heads and 2 KV heads (2 query heads per KV head), head_dim 32 (so
 *   `num_attention_heads * head_dim` = 128 differs from `hidden_size`, as in Qwen3-0.6B), intermediate 128, and the real
 *   vocabulary (151936) so real tokenizer ids are valid. About 40 MB on disk (fp32 ONNX) and made in about a second.
 * - `qwen3-0.6b`: Qwen3-0.6B's real dimensions (28 layers, hidden 1024, 16/8 heads, head_dim 128, intermediate 3072).
 */
export const FIXTURE_SHAPES: Readonly<Record<FixtureShapeName, Readonly<Qwen3Dims>>> = Object.freeze({
  tiny: Object.freeze({
    vocab_size: QWEN3_VOCAB_SIZE,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 32,
    max_position_embeddings: 40960,
    rope_theta: 1_000_000,
    rms_norm_eps: 1e-6,
  }),
  "qwen3-0.6b": Object.freeze({
    vocab_size: QWEN3_VOCAB_SIZE,
    hidden_size: 1024,
    intermediate_size: 3072,
    num_hidden_layers: 28,
    num_attention_heads: 16,
    num_key_value_heads: 8,
    head_dim: 128,
    max_position_embeddings: 40960,
    rope_theta: 1_000_000,
    rms_norm_eps: 1e-6,
  }),
});

/** A shape resolved to full dimensions and the name used in cache keys and `config.json`. */
export interface ResolvedFixtureShape {
  /** `tiny`, `qwen3-0.6b`, or `custom-<12 hex>` (a hash of the dimensions). */
  name: string;
  dims: Qwen3Dims;
}

const INTEGER_FIELDS = [
  "vocab_size",
  "hidden_size",
  "intermediate_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "head_dim",
  "max_position_embeddings",
] as const;

/**
 * Resolve a shape name or custom dimensions, checking that Qwen3 can have them.
 * @throws FixtureModelError `bad_config` for an unknown name, non-integer or non-positive sizes, a head count not
 *   divisible by the KV head count, or an odd `head_dim`.
 * @example resolveFixtureShape({ num_hidden_layers: 1, vocab_size: 512 }).name // "custom-…"
 */
export function resolveFixtureShape(shape: FixtureShape): ResolvedFixtureShape {
  if (typeof shape === "string") {
    const dims = (FIXTURE_SHAPES as Record<string, Qwen3Dims | undefined>)[shape];
    if (dims === undefined || !Object.hasOwn(FIXTURE_SHAPES, shape)) {
      throw new FixtureModelError(
        `unknown fixture shape ${JSON.stringify(shape)}; use ${Object.keys(FIXTURE_SHAPES).map((s) => JSON.stringify(s)).join(" or ")} or custom dimensions`,
        { code: "bad_config" },
      );
    }
    return { name: shape, dims: { ...dims } };
  }
  if (typeof shape !== "object" || shape === null) {
    throw new FixtureModelError("fixture shape must be a shape name or an object of Qwen3 dimensions", { code: "bad_config" });
  }
  for (const key of Object.keys(shape)) {
    if (!Object.hasOwn(FIXTURE_SHAPES.tiny, key)) {
      throw new FixtureModelError(`unknown Qwen3 dimension ${JSON.stringify(key)} in the fixture shape`, { code: "bad_config" });
    }
  }
  const dims: Qwen3Dims = { ...FIXTURE_SHAPES.tiny, ...shape };
  checkDims(dims);
  const canonical = JSON.stringify(Object.keys(dims).sort().map((k) => [k, dims[k as keyof Qwen3Dims]]));
  return { name: `custom-${createHash("sha256").update(canonical).digest("hex").slice(0, 12)}`, dims };
}

function checkDims(dims: Qwen3Dims): void {
  for (const key of INTEGER_FIELDS) {
    const v = dims[key];
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new FixtureModelError(`${key} must be a positive integer, got ${JSON.stringify(v)}`, { code: "bad_config" });
    }
  }
  for (const key of ["rope_theta", "rms_norm_eps"] as const) {
    const v = dims[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new FixtureModelError(`${key} must be a positive finite number, got ${JSON.stringify(v)}`, { code: "bad_config" });
    }
  }
  if (dims.num_attention_heads % dims.num_key_value_heads !== 0) {
    throw new FixtureModelError(
      `num_attention_heads (${dims.num_attention_heads}) must be a multiple of num_key_value_heads (${dims.num_key_value_heads})`,
      { code: "bad_config" },
    );
  }
  if (dims.head_dim % 2 !== 0) {
    throw new FixtureModelError(`head_dim must be even for rotate-half RoPE, got ${dims.head_dim}`, { code: "bad_config" });
  }
}
