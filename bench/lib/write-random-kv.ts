import { randomFillSync } from "node:crypto";
import { open } from "node:fs/promises";
import { writeSafetensors } from "../../src/kv/safetensors/write-safetensors.js";
import { prepareHeader } from "../../src/kv/safetensors/prepare-header.js";
import { writeSidecar } from "../../src/kv/sidecar.js";

/** Qwen3-0.6B's cache geometry (docs/kv-format.md#sizes): 28 layers × 8 KV heads × head_dim 128. */
export const QWEN3_LAYERS = 28;
export const QWEN3_KV_HEADS = 8;
export const QWEN3_HEAD_DIM = 128;
/** Bytes per cached token of a Qwen3-0.6B F16 `.kv`: 28 · 2 · 8 · 128 · 2 = 114,688. */
export const QWEN3_F16_BYTES_PER_TOKEN = QWEN3_LAYERS * 2 * QWEN3_KV_HEADS * QWEN3_HEAD_DIM * 2;

/** Tokens whose Qwen3-0.6B F16 cache is closest to `bytes` (at least 1). */
export function tokensForBytes(bytes: number): number {
  return Math.max(1, Math.round(bytes / QWEN3_F16_BYTES_PER_TOKEN));
}

/**
 * Fill `bytes` with random finite F16 values in (−1, 1): random bits with the exponent's top bit cleared
 * (mask 0xBB on every high byte), so the data is valid, incompressible and never NaN or Inf.
 */
export function fillRandomF16(bytes: Uint8Array): Uint8Array {
  randomFillSync(bytes);
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = words[i]! & 0xbbffbbff;
  return bytes;
}

function kvTensorSpecs(tokens: number, load: (bytes: number) => () => Uint8Array) {
  const shape = [1, QWEN3_KV_HEADS, tokens, QWEN3_HEAD_DIM];
  const bytes = QWEN3_KV_HEADS * tokens * QWEN3_HEAD_DIM * 2;
  const tensors = new Map<string, { dtype: "F16"; shape: number[]; load: () => Uint8Array }>();
  for (let i = 0; i < QWEN3_LAYERS; i++) {
    for (const kind of ["k", "v"]) tensors.set(`${kind}_${i}`, { dtype: "F16", shape: [...shape], load: load(bytes) });
  }
  return tensors;
}

/**
 * Write a valid Qwen3-0.6B-shaped F16 `.kv` of about `bytes` bytes (random data, one tensor generated at a time, so
 * memory stays at one tensor) with a sidecar, through the SDK's own safetensors writer.
 * @example const { path, sizeBytes, tokens } = await writeRandomKv({ path: join(tmp, "big.kv"), bytes: 2 ** 30 })
 */
export async function writeRandomKv(params: { path: string; bytes: number; modelName?: string }): Promise<{ path: string; sizeBytes: number; tokens: number }> {
  const tokens = tokensForBytes(params.bytes);
  let scratch: Uint8Array | undefined;
  const tensors = kvTensorSpecs(tokens, (bytes) => () => {
    // One reused buffer: the writer finishes each tensor before it loads the next one.
    scratch ??= new Uint8Array(bytes);
    return fillRandomF16(scratch);
  });
  const { byteLength } = await writeSafetensors(params.path, tensors);
  await writeSidecar(params.path, {
    model_name: params.modelName ?? "Qwen/Qwen3-0.6B",
    num_layers: QWEN3_LAYERS,
    num_tokens: tokens,
    dtype: "F16",
    storage_dtype: "F16",
    nbytes: byteLength,
    quantized: false,
  });
  return { path: params.path, sizeBytes: byteLength, tokens };
}

/**
 * Write the header of a Qwen3-0.6B-shaped F16 `.kv` of about `bytes` bytes and extend the file to its full size
 * without writing data (a sparse file): valid for every reader that only touches the header. No sidecar.
 */
export async function writeSparseKv(params: { path: string; bytes: number }): Promise<{ path: string; sizeBytes: number; tokens: number }> {
  const tokens = tokensForBytes(params.bytes);
  const { header, dataLength } = prepareHeader(kvTensorSpecs(tokens, () => () => new Uint8Array(0)));
  const handle = await open(params.path, "w");
  try {
    await handle.write(header, 0, header.byteLength, 0);
    await handle.truncate(header.byteLength + dataLength);
  } finally {
    await handle.close();
  }
  return { path: params.path, sizeBytes: header.byteLength + dataLength, tokens };
}
