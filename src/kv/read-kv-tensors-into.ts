import type { FileHandle } from "node:fs/promises";
import { KvFormatError } from "../errors/kv-format-error.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { castKvArrayInto } from "./cast-kv.js";
import { readPieces, type FilePiece } from "./fs/read-exactly.js";
import { kvArrayFromBytes, littleEndianToHostInPlace, readF32Scalar } from "./kv-bytes.js";
import { kvDtypeSize, type KvArray, type KvDtype } from "./kv-cache.js";
import type { KvLayout } from "./kv-layout.js";
import type { KvLayerTargets, KvTensorTarget } from "./kv-tensor-targets.js";
import { dequantizeInto } from "./quantize.js";
import type { SafetensorsHeader, SafetensorsTensorInfo } from "./safetensors/types.js";

/** Everything one pass over a `.kv` file's tensors needs; the header and targets are already validated. */
export interface KvTensorPass<D extends KvDtype> {
  /** The open file. */
  handle: FileHandle;
  /** For error messages. */
  path: string;
  /** Checked between reads. */
  signal: AbortSignal | undefined;
  /** The validated header. */
  header: SafetensorsHeader;
  /** The file's first `header.dataOffset` bytes (length prefix and header), hashed first. */
  headerBytes: Uint8Array;
  /** What {@link kvLayout} found in the header. */
  layout: KvLayout;
  /** Where each layer's key and value go (checked by `checkKvTargets`). */
  targets: Array<KvLayerTargets<D>>;
  /** The targets' element type. */
  dtype: D;
}

const NAME = /^([kv])_([0-9]+)(?:_[qs])?$/;

/**
 * Read every tensor of the file into its target, in file order, feeding `hash` (if any) the header bytes and then
 * every tensor's bytes in that order (parseHeader has checked that the tensors tile the rest of the file, so that is
 * the whole file). Tensors already in the targets' dtype are read straight into each head's slice; others go through
 * one tensor-sized scratch, converted (castKvArrayInto) or dequantized (dequantizeInto) head by head. Positions ≥
 * the file's tokens are never written. Returns the raw scale bytes of a quantized file by tensor (`k_{i}`, `v_{i}`),
 * unchecked: readKv reports a bad scale only after the checksum, and so does the caller.
 */
export async function readKvTensorsInto<D extends KvDtype>(
  pass: KvTensorPass<D>,
  hash: { update(data: Uint8Array): unknown } | undefined,
): Promise<Map<string, Uint8Array>> {
  const { handle, path, signal, header, layout, dtype } = pass;
  hash?.update(pass.headerBytes);
  const [, heads, tokens, dim] = layout.shape;
  const perHead = tokens * dim;
  const infos = [...header.tensors.values()];
  const position = (info: SafetensorsTensorInfo) => header.dataOffset + info.dataOffsets[0];
  const slot = (name: string, h: number): KvArray<D> => {
    const { data, capacity } = targetOf(pass.targets, name);
    return data.subarray(h * capacity * dim, h * capacity * dim + perHead) as KvArray<D>;
  };

  if (!layout.quantized && layout.dtype === dtype) {
    const size = kvDtypeSize(dtype);
    const pieces: FilePiece[] = [];
    for (const info of infos) {
      for (let h = 0; h < heads; h++) {
        const s = slot(info.name, h);
        pieces.push({ target: new Uint8Array(s.buffer, s.byteOffset, s.byteLength), position: position(info) + h * perHead * size });
      }
    }
    await readPieces(handle, pieces, hash, signal, path);
    for (const piece of pieces) littleEndianToHostInPlace(piece.target, size);
    return new Map();
  }

  const scratch = new Uint8Array(heads * perHead * (layout.quantized ? 1 : kvDtypeSize(layout.dtype)));
  const scales = new Map<string, Uint8Array>();
  // Scales read ahead of the pass, for codes that come before their scale in the file (kvcdn and kvcdn-cli write
  // every scale first, so this is for other writers only).
  const early = new Map<string, Uint8Array>();
  for (const info of infos) {
    throwIfAborted(signal, `reading ${path}`);
    const base = info.name.replace(/_[qs]$/, "");
    if (info.name.endsWith("_s")) {
      const bytes = new Uint8Array(4);
      await readPieces(handle, [{ target: bytes, position: position(info) }], hash, signal, path);
      const before = early.get(base);
      if (before !== undefined && before.some((b, i) => b !== bytes[i])) {
        throw new KvFormatError(`${info.name} changed while the file was being read`, { code: "bad_scale", tensor: info.name });
      }
      scales.set(base, bytes);
      continue;
    }
    await readPieces(handle, [{ target: scratch, position: position(info) }], hash, signal, path);
    if (layout.quantized) {
      let scaleBytes = scales.get(base);
      if (scaleBytes === undefined) {
        scaleBytes = new Uint8Array(4);
        await readPieces(handle, [{ target: scaleBytes, position: position(header.tensors.get(`${base}_s`)!) }], undefined, signal, path);
        early.set(base, scaleBytes);
      }
      const scale = readF32Scalar(scaleBytes);
      for (let h = 0; h < heads; h++) dequantizeInto(scratch.subarray(h * perHead, (h + 1) * perHead), scale, slot(info.name, h), dtype);
    } else {
      const from = layout.dtype;
      const src = kvArrayFromBytes(from, scratch);
      for (let h = 0; h < heads; h++) castKvArrayInto(src.subarray(h * perHead, (h + 1) * perHead) as KvArray, from, slot(info.name, h), dtype);
    }
  }
  return scales;
}

function targetOf<D extends KvDtype>(targets: Array<KvLayerTargets<D>>, name: string): KvTensorTarget<D> {
  const m = NAME.exec(name)!;
  const layer = targets[Number(m[2])]!;
  return m[1] === "k" ? layer.key : layer.value;
}
