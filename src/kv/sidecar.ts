import { readFile } from "node:fs/promises";
import { Buffer } from "node:buffer";
import { KvFormatError } from "../errors/kv-format-error.js";
import { writeFileAtomic } from "./fs/atomic-file.js";
import { asLocalFileError } from "./fs/local-file.js";
import { jsonToPlain, parseStrictJson } from "./safetensors/strict-json.js";

/** Who wrote a cache (`producer` extension). */
export interface KvProducer {
  /** Tool name, e.g. `"kvcdn"`. */
  name: string;
  /** Tool version, e.g. `"0.1.0"`. */
  version: string;
  /** Anything else (runtime, dtype, …) is kept as is. */
  [extra: string]: unknown;
}

/**
 * Model identity recorded with a cache (`fingerprint` extension, docs/kv-format.md#fingerprint), checked before
 * loading.
 */
export interface KvFingerprint {
  /** `config.json` `architectures[0]`, e.g. `"Qwen3ForCausalLM"`. */
  architecture: string;
  /** KV heads per layer. */
  num_kv_heads: number;
  /** Head dimension. */
  head_dim: number;
  /** RoPE base. */
  rope_theta: number;
  /** The dtype the model ran in: `"float16"`, `"float32"`, `"q4f16"`, … */
  model_dtype: string;
  /** SHA-256 of the `config.json` bytes. */
  config_sha256: string;
  /** SHA-256 of the `tokenizer.json` bytes. */
  tokenizer_sha256: string;
  /** HF commit id, or null when unknown. */
  revision: string | null;
  /** Extra fields are kept as is. */
  [extra: string]: unknown;
}

/**
 * The `<file>.kv.json` sidecar: kvcdn-cli's nine fields (wire names), kvcdn's extensions, and any unknown field a
 * newer writer added (kept on rewrite).
 */
export interface KvSidecar {
  /** HF repo id as given to the producer, e.g. `"Qwen/Qwen3-0.6B"`; `"unknown"` from the header fallback. */
  model_name: string;
  /** Number of k/v pairs. */
  num_layers: number;
  /** Sequence length (`k_0.shape[2]`). */
  num_tokens: number;
  /** Unquantized: the tensor dtype. Quantized: the target (`F16`, `F32`, `BF16`, `FP8`, `I8`). */
  dtype: string;
  /** Unquantized: same as `dtype`; quantized: `"U8"`; `null` only from the header fallback. */
  storage_dtype: string | null;
  /** Size of the `.kv` file in bytes. */
  nbytes: number;
  /** Whether the tensors are int8-quantized (`k_{i}_q` + `k_{i}_s`). */
  quantized: boolean;
  /** The context text (never the question). Omitted when absent. */
  prompt?: string;
  /** The exact prefilled token ids; `tokens.length === num_tokens`. Omitted when absent. */
  tokens?: number[];
  /** Extension: lowercase hex SHA-256 of the `.kv` bytes. */
  sha256?: string;
  /** Extension: the writing tool. */
  producer?: KvProducer;
  /** Extension: the model identity. */
  fingerprint?: KvFingerprint;
  /** Unknown fields, preserved. */
  [extra: string]: unknown;
}

/** The nine kvcdn-cli fields, in its order. */
export const CLI_SIDECAR_FIELDS = ["model_name", "num_layers", "num_tokens", "dtype", "storage_dtype", "nbytes", "quantized", "prompt", "tokens"] as const;
/** kvcdn's extensions, written after the nine fields, in this order. */
export const SIDECAR_EXTENSION_FIELDS = ["sha256", "producer", "fingerprint"] as const;

const KNOWN = new Set<string>([...CLI_SIDECAR_FIELDS, ...SIDECAR_EXTENSION_FIELDS]);

/** `<kvPath>.json`: the sidecar path is the full `.kv` path plus `.json`. */
export function sidecarPath(kvPath: string): string {
  return `${kvPath}.json`;
}

/**
 * Format a sidecar as kvcdn-cli does (`serde_json::to_vec_pretty`: 2-space indent, no trailing newline): the nine
 * fields in order with absent `prompt`/`tokens` omitted, then `sha256`, `producer`, `fingerprint`, then unknown fields
 * in their original order. `cliCompatible: true` writes the nine fields only — byte-identical with kvcdn-cli.
 * @example formatSidecar({ model_name: "Qwen/Qwen3-0.6B", num_layers: 28, num_tokens: 5, dtype: "F16", storage_dtype: "F16", nbytes: 577552, quantized: false })
 */
export function formatSidecar(
  sidecar: KvSidecar,
  options: {
    /** Omit every extension and unknown field. @default false */
    cliCompatible?: boolean;
  } = {},
): string {
  checkSidecar(sidecar);
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => {
    if (v !== undefined && v !== null) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  };
  for (const k of CLI_SIDECAR_FIELDS) {
    if (k === "storage_dtype") Object.defineProperty(out, k, { value: sidecar.storage_dtype ?? null, enumerable: true, writable: true, configurable: true });
    else put(k, sidecar[k]);
  }
  if (options.cliCompatible !== true) {
    for (const k of SIDECAR_EXTENSION_FIELDS) put(k, sidecar[k]);
    for (const k of Object.keys(sidecar)) if (!KNOWN.has(k)) put(k, sidecar[k]);
  }
  return JSON.stringify(out, null, 2);
}

/**
 * Parse and validate sidecar JSON with serde's rules for kvcdn-cli's struct (required fields and types; `prompt`,
 * `tokens` and `storage_dtype` may be absent or null; duplicate keys rejected), plus types of the extensions.
 * Unknown fields are kept.
 */
export function parseSidecar(text: string | Uint8Array, path?: string): KvSidecar {
  const opts = path === undefined ? {} : { path };
  let str: string;
  if (typeof text === "string") str = text;
  else {
    try {
      str = new TextDecoder("utf-8", { fatal: true }).decode(text);
    } catch (cause) {
      throw new KvFormatError("sidecar is not valid UTF-8", { code: "bad_sidecar", cause, ...opts });
    }
  }
  let value: unknown;
  try {
    value = jsonToPlain(parseStrictJson(str, "sidecar"));
  } catch (e) {
    throw new KvFormatError(e instanceof Error ? e.message : String(e), { code: "bad_sidecar", cause: e, ...opts });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new KvFormatError("sidecar is not a JSON object", { code: "bad_sidecar", ...opts });
  }
  const s = value as Record<string, unknown>;
  if (s.storage_dtype === undefined) s.storage_dtype = null;
  if (s.prompt === null) delete s.prompt;
  if (s.tokens === null) delete s.tokens;
  try {
    checkSidecar(s);
  } catch (e) {
    if (e instanceof KvFormatError && path !== undefined) throw new KvFormatError(e.message, { code: e.code, path });
    throw e;
  }
  return s as KvSidecar;
}

/** Throw a `bad_sidecar` {@link KvFormatError} unless `s` has the sidecar's field types. */
export function checkSidecar(s: Record<string, unknown>): asserts s is KvSidecar {
  const bad = (msg: string): never => {
    throw new KvFormatError(`sidecar ${msg}`, { code: "bad_sidecar" });
  };
  const uint = (k: string, v: unknown, max = Number.MAX_SAFE_INTEGER): void => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) bad(`${k} must be a non-negative integer`);
  };
  if (typeof s.model_name !== "string") bad("model_name must be a string");
  uint("num_layers", s.num_layers);
  uint("num_tokens", s.num_tokens);
  if (typeof s.dtype !== "string") bad("dtype must be a string");
  if (s.storage_dtype !== undefined && s.storage_dtype !== null && typeof s.storage_dtype !== "string") bad("storage_dtype must be a string or null");
  uint("nbytes", s.nbytes);
  if (typeof s.quantized !== "boolean") bad("quantized must be true or false");
  if (s.prompt !== undefined && typeof s.prompt !== "string") bad("prompt must be a string");
  if (s.tokens !== undefined) {
    if (!Array.isArray(s.tokens)) bad("tokens must be an array of token ids");
    (s.tokens as unknown[]).forEach((t, i) => uint(`tokens[${i}]`, t, 0xffffffff));
    if ((s.tokens as unknown[]).length !== s.num_tokens) bad(`has ${(s.tokens as unknown[]).length} tokens but num_tokens ${String(s.num_tokens)}`);
  }
  if (s.sha256 !== undefined && (typeof s.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(s.sha256))) bad("sha256 must be 64 lowercase hex digits");
  if (s.producer !== undefined) {
    const p = s.producer as Record<string, unknown> | null;
    if (typeof p !== "object" || p === null || Array.isArray(p) || typeof p.name !== "string" || typeof p.version !== "string") {
      bad("producer must be an object with string name and version");
    }
  }
  if (s.fingerprint !== undefined) {
    const f = s.fingerprint as Record<string, unknown> | null;
    if (typeof f !== "object" || f === null || Array.isArray(f)) bad("fingerprint must be an object");
    const fp = f as Record<string, unknown>;
    for (const k of ["architecture", "model_dtype", "config_sha256", "tokenizer_sha256"]) if (typeof fp[k] !== "string") bad(`fingerprint.${k} must be a string`);
    uint("fingerprint.num_kv_heads", fp.num_kv_heads);
    uint("fingerprint.head_dim", fp.head_dim);
    if (typeof fp.rope_theta !== "number" || !Number.isFinite(fp.rope_theta)) bad("fingerprint.rope_theta must be a number");
    if (fp.revision !== null && typeof fp.revision !== "string") bad("fingerprint.revision must be a string or null");
  }
}

/**
 * Read `<kvPath>.json`; `undefined` when there is none.
 * @example const sidecar = await readSidecar("ctx.kv")
 */
export async function readSidecar(kvPath: string): Promise<KvSidecar | undefined> {
  const path = sidecarPath(kvPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw asLocalFileError(e, path, "read");
  }
  return parseSidecar(bytes, path);
}

/**
 * Write `<kvPath>.json` atomically (temp file, fsync, rename), formatted by {@link formatSidecar}.
 * @example await writeSidecar("ctx.kv", { ...sidecar, prompt: "How are you doing?" })
 */
export async function writeSidecar(
  kvPath: string,
  sidecar: KvSidecar,
  options: { cliCompatible?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const text = formatSidecar(sidecar, options.cliCompatible === undefined ? {} : { cliCompatible: options.cliCompatible });
  await writeFileAtomic(sidecarPath(kvPath), (f) => f.write(Buffer.from(text, "utf8")), options.signal);
}
