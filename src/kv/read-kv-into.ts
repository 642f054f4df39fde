import { createHash } from "node:crypto";
import { stat, type FileHandle } from "node:fs/promises";
import { KvFormatError } from "../errors/kv-format-error.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { openForRead } from "./fs/local-file.js";
import { isKvDtype, type KvDtype } from "./kv-cache.js";
import { checkSha256, quantScale } from "./kv-file-checks.js";
import { kvLayout } from "./kv-layout.js";
import { checkSidecarAgainstFile, headerMetadata } from "./kv-metadata.js";
import { checkKvTargets, type KvFileLayout, type KvLayerTargets } from "./kv-tensor-targets.js";
import { readKvTensorsInto } from "./read-kv-tensors-into.js";
import { readHeaderAndBytesFrom, withPath } from "./safetensors/read-safetensors-header.js";
import { readSidecar, type KvSidecar } from "./sidecar.js";
import {
  readVerification,
  recordMatches,
  recordVerification,
  sameFileIdentity,
  type FileIdentity,
  type VerificationRecord,
} from "./verification-record.js";

/** Options of {@link readKvInto}. */
export interface ReadKvIntoOptions<D extends KvDtype = KvDtype> {
  /** Element type of the targets: F32 (Float32Array), F16 or BF16 (Uint16Array bit patterns). */
  dtype: D;
  /**
   * Make the targets, one key and value per layer, from the file's dimensions. Called once, after the header and
   * sidecar are validated and before any tensor byte is read; what it returns is checked (`RangeError`).
   */
  allocate(layout: KvFileLayout): Array<KvLayerTargets<D>> | Promise<Array<KvLayerTargets<D>>>;
  /** Check the bytes against the sidecar's `sha256` extension when present. @default true */
  verifySha256?: boolean;
  /** After hashing the file and finding the sidecar's `sha256`, write a verification record, as readKv does. @default true */
  recordVerification?: boolean;
  /** Abort the read (checked between reads). */
  signal?: AbortSignal;
}

/** What {@link readKvInto} returns; the tensors are in the targets. */
export interface ReadKvIntoResult {
  /** The sidecar if there is one, else the header-only metadata (as readKv). */
  metadata: KvSidecar;
  /** The sidecar, if the file has one. */
  sidecar: KvSidecar | undefined;
  /** The file's dimensions, as passed to `allocate`. */
  layout: KvFileLayout;
}

/**
 * Read a `.kv` file straight into caller-provided `[1, kv_heads, capacity, head_dim]` buffers (e.g. onnxruntime's
 * shared past/present KV buffers), never holding a file-sized buffer: each tensor's bytes are read into its target's
 * head slices, or through one tensor-sized scratch when they must be converted or dequantized. The values are
 * bit-identical to `readKv(path, { dtype }).cache`, and the checks are readKv's: header and sidecar validated,
 * the same typed errors, the sidecar's `sha256` checked while reading unless a verification record still describes
 * the file (the open file's identity is re-checked after the read; if it changed, the file is read and hashed
 * again), and a record written after a successful hash.
 *
 * Errors found once the tensors are read — `checksum_mismatch`, `bad_scale` — are thrown after the targets were
 * written: on any error the targets hold unverified or partial data and the caller must discard it.
 * @example const { layout } = await readKvInto("ctx.kv", { dtype: "F16", allocate: (l) => buffersFor(l, l.numTokens + 64) })
 */
export async function readKvInto<D extends KvDtype>(path: string, options: ReadKvIntoOptions<D>): Promise<ReadKvIntoResult> {
  if (!isKvDtype(options.dtype)) {
    throw new KvFormatError(`cannot read into ${String(options.dtype)} targets; use F32, F16 or BF16`, { code: "unsupported_dtype" });
  }
  const sidecar = await readSidecar(path);
  const expected = options.verifySha256 !== false ? sidecar?.sha256 : undefined;
  const record = expected !== undefined ? await readVerification(path) : undefined;
  const trusted = record !== undefined && record.sha256 === expected ? record : undefined;
  const handle = await openForRead(path);
  let read: PassResult;
  try {
    read = await withPath(path, () => readAll(handle, path, options, sidecar, expected !== undefined && trusted === undefined, trusted));
  } finally {
    await handle.close();
  }
  return withPath(path, async () => {
    if (expected !== undefined) checkSha256(sidecar!, read.sha256!);
    if (read.layout.quantized) {
      for (let i = 0; i < read.layout.numLayers; i++) for (const kv of ["k", "v"]) quantScale(`${kv}_${i}`, read.scales.get(`${kv}_${i}`)!);
    }
    const { sha256, hashedIdentity } = read;
    if (sha256 !== undefined && hashedIdentity !== undefined && options.recordVerification !== false) {
      // As readKv: record the checked digest unless the path no longer names the file that was hashed.
      await stat(path, { bigint: true })
        .then((now) => (sameFileIdentity(now, hashedIdentity) ? recordVerification(path, sha256) : undefined))
        .catch(() => undefined);
    }
    return { metadata: read.metadata, sidecar, layout: read.layout };
  });
}

interface PassResult {
  layout: KvFileLayout;
  metadata: KvSidecar;
  /** Raw scale bytes of a quantized file, by `k_{i}` / `v_{i}`. */
  scales: Map<string, Uint8Array>;
  /** The file's SHA-256 as hashed, or taken from a record that still holds; undefined when not checked. */
  sha256: string | undefined;
  /** The open file's identity after a pass that hashed it from the start (the record may then be written). */
  hashedIdentity: FileIdentity | undefined;
}

async function readAll<D extends KvDtype>(
  handle: FileHandle,
  path: string,
  options: ReadKvIntoOptions<D>,
  sidecar: KvSidecar | undefined,
  hashIt: boolean,
  trusted: VerificationRecord | undefined,
): Promise<PassResult> {
  const { signal, dtype } = options;
  const { header, bytes: headerBytes } = await readHeaderAndBytesFrom(handle, path, signal);
  const kv = kvLayout(header);
  if (sidecar !== undefined) checkSidecarAgainstFile(sidecar, kv, header.fileSize, path);
  const [, numKvHeads, numTokens, headDim] = kv.shape;
  const layout: KvFileLayout = { numLayers: kv.numLayers, numKvHeads, numTokens, headDim, fileDtype: kv.dtype, quantized: kv.quantized };
  throwIfAborted(signal, `reading ${path}`);
  const targets: unknown = await options.allocate({ ...layout });
  checkKvTargets(targets, layout, dtype);
  const pass = { handle, path, signal, header, headerBytes, layout: kv, targets, dtype };
  const hash = hashIt ? createHash("sha256") : undefined;
  let scales = await readKvTensorsInto(pass, hash);
  let sha256 = hash?.digest("hex");
  const identity = hash !== undefined || trusted !== undefined ? await handle.stat({ bigint: true }) : undefined;
  if (trusted !== undefined) {
    if (recordMatches(identity!, trusted)) sha256 = trusted.sha256;
    else {
      // The record was checked against the path before opening; the open file is no longer the one recorded (a
      // rename or rewrite in between), so its bytes are hashed after all. readKv hashes the bytes it holds; here they
      // were converted into the targets, so the file is read again, hashing.
      const again = createHash("sha256");
      scales = await readKvTensorsInto(pass, again);
      sha256 = again.digest("hex");
    }
  }
  return { layout, metadata: sidecar ?? headerMetadata(kv, header.fileSize), scales, sha256, hashedIdentity: hash !== undefined ? identity : undefined };
}
