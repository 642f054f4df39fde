import { Buffer } from "node:buffer";
import { VERSION } from "../version.js";
import { KvFormatError } from "../errors/kv-format-error.js";
import { castKvArray } from "./cast-kv.js";
import { ensureKvExtension } from "./ensure-kv-extension.js";
import { createAtomicFile, type AtomicFile } from "./fs/atomic-file.js";
import { commitKvPair } from "./fs/commit-kv-pair.js";
import { f32ScalarBytes, kvArrayBytes, kvRawTensor } from "./kv-bytes.js";
import { isKvDtype, validateKvCache, type KvCache, type KvDtype } from "./kv-cache.js";
import { validateQuantizedKv, type QuantizedKv } from "./quantize.js";
import { prepareHeader } from "./safetensors/prepare-header.js";
import type { LazyTensor, RawTensor } from "./safetensors/types.js";
import { writeSafetensorsTo } from "./safetensors/write-safetensors.js";
import { checkSidecar, formatSidecar, sidecarPath, type KvSidecar } from "./sidecar.js";

/** Options of {@link writeKv}. */
export interface WriteKvOptions {
  /**
   * Sidecar fields to record: `model_name` (@default "unknown"), `prompt`, `tokens`, `fingerprint`, `producer`
   * (@default `{ name: "kvcdn", version }`) and any unknown fields (kept). Layer count, tokens, dtypes, `nbytes`,
   * `quantized` and `sha256` are computed. `false` writes no sidecar and removes a stale one at the destination
   * (it would contradict the new file).
   * @default {}
   */
  sidecar?: Partial<KvSidecar> | false;
  /** Write only kvcdn-cli's nine sidecar fields, byte-identical with kvcdn-cli. @default false */
  cliCompatible?: boolean;
  /** Store an unquantized cache in this dtype, converting one tensor at a time while writing. @default cache.dtype */
  dtype?: KvDtype;
  /** Called with a warning, e.g. when `.kv` was appended to the path. @default undefined (silent) */
  onWarning?: (message: string) => void;
  /** Abort the write; nothing is left behind. */
  signal?: AbortSignal;
}

/** What {@link writeKv} wrote. */
export interface WriteKvResult {
  /** The `.kv` path (with `.kv` appended if it was missing). */
  path: string;
  /** The sidecar path, or undefined with `sidecar: false`. */
  sidecarPath: string | undefined;
  /** The sidecar as written (all fields, even in `cliCompatible` mode). */
  sidecar: KvSidecar;
  /** Size of the `.kv` file. */
  nbytes: number;
  /** Lowercase hex SHA-256 of the `.kv` file. */
  sha256: string;
}

/**
 * Write a cache (or a quantized cache) as `.kv` + `.kv.json`, byte-compatible with kvcdn-cli. Tensors stream to a
 * temporary file (converted one at a time if `dtype` is given), then the sidecar is written to its own temporary
 * file, and only then are both committed as a pair (see {@link commitKvPair}: a reader never sees the new `.kv` beside the
 * old sidecar, even after a crash). On failure neither destination is touched.
 * @example await writeKv("ctx.kv", cache, { sidecar: { model_name: "Qwen/Qwen3-0.6B", prompt, tokens } })
 */
export async function writeKv(path: string, cache: KvCache | QuantizedKv, options: WriteKvOptions = {}): Promise<WriteKvResult> {
  const ext = ensureKvExtension(path);
  if (ext.appended) options.onWarning?.(`output path ${path} does not end in .kv; writing ${ext.path}`);
  const kvPath = ext.path;
  const { tensors, info } = kvTensors(cache, options.dtype);
  const base = options.sidecar === false ? {} : (options.sidecar ?? {});
  const draft: KvSidecar = {
    ...base,
    model_name: base.model_name ?? "unknown",
    num_layers: info.numLayers,
    num_tokens: info.numTokens,
    dtype: info.dtype,
    storage_dtype: info.storageDtype,
    nbytes: 8 + prepareHeaderSize(tensors),
    quantized: info.quantized,
    producer: base.producer ?? { name: "kvcdn", version: VERSION },
  };
  if (draft.prompt === undefined) delete draft.prompt;
  if (draft.tokens === undefined) delete draft.tokens;
  delete draft.sha256;
  checkSidecar(draft);

  const files: AtomicFile[] = [];
  try {
    const kvFile = await createAtomicFile(kvPath, options.signal);
    files.push(kvFile);
    const written = await writeSafetensorsTo(kvFile, tensors, { sha256: true, ...(options.signal ? { signal: options.signal } : {}) });
    await kvFile.finish();
    const sidecar: KvSidecar = { ...draft, nbytes: written.byteLength, sha256: written.sha256! };
    let scPath: string | undefined;
    if (options.sidecar !== false) {
      scPath = sidecarPath(kvPath);
      const scFile = await createAtomicFile(scPath, options.signal);
      files.push(scFile);
      await scFile.write(Buffer.from(formatSidecar(sidecar, { cliCompatible: options.cliCompatible === true }), "utf8"));
      await scFile.finish();
    }
    await commitKvPair({ kv: kvFile, sidecar: files[1], sidecarPath: sidecarPath(kvPath) });
    return { path: kvPath, sidecarPath: scPath, sidecar, nbytes: written.byteLength, sha256: written.sha256! };
  } catch (e) {
    for (const f of files) await f.abort();
    throw e;
  }
}

function prepareHeaderSize(tensors: Map<string, RawTensor | LazyTensor>): number {
  const { header, dataLength } = prepareHeader(tensors);
  return header.byteLength - 8 + dataLength;
}

/** The safetensors entries of a cache, in any order (the writer sorts), plus sidecar facts. */
export function kvTensors(
  cache: KvCache | QuantizedKv,
  dtype?: KvDtype,
): {
  tensors: Map<string, RawTensor | LazyTensor>;
  info: { numLayers: number; numTokens: number; dtype: string; storageDtype: string; quantized: boolean };
} {
  const tensors = new Map<string, RawTensor | LazyTensor>();
  if ("quantized" in cache && cache.quantized === true) {
    validateQuantizedKv(cache);
    if (dtype !== undefined) throw new KvFormatError("dtype applies to unquantized caches only; dequantize first", { code: "unsupported_dtype" });
    cache.layers.forEach((l, i) => {
      for (const [kv, t] of [["k", l.key], ["v", l.value]] as const) {
        tensors.set(`${kv}_${i}_q`, { dtype: "U8", shape: [...t.shape], data: t.q });
        tensors.set(`${kv}_${i}_s`, { dtype: "F32", shape: [], data: f32ScalarBytes(t.scale) });
      }
    });
    const shape = cache.layers[0]!.key.shape;
    return { tensors, info: { numLayers: cache.layers.length, numTokens: shape[2], dtype: cache.target, storageDtype: "U8", quantized: true } };
  }
  const plain = cache as KvCache;
  const info = validateKvCache(plain);
  const to = dtype ?? plain.dtype;
  if (!isKvDtype(to)) throw new KvFormatError(`cannot store KV tensors as ${String(to)}; use F32, F16 or BF16`, { code: "unsupported_dtype" });
  plain.layers.forEach((l, i) => {
    for (const [kv, t] of [["k", l.key], ["v", l.value]] as const) {
      tensors.set(
        `${kv}_${i}`,
        to === t.dtype
          ? kvRawTensor(t.dtype, t.shape, t.data)
          : { dtype: to, shape: [...t.shape], load: () => kvArrayBytes(castKvArray(t.data, t.dtype, to)) },
      );
    }
  });
  return { tensors, info: { numLayers: info.numLayers, numTokens: info.numTokens, dtype: to, storageDtype: to, quantized: false } };
}
