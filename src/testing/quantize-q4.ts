import { f32ToF16, f16ToF32 } from "../kv/float16.js";

/** Values per quantization block of `MatMulNBits` (its `block_size` attribute). */
export const Q4_BLOCK_SIZE = 32;
/** Bytes per packed block: 32 four-bit values. */
const BLOB_BYTES = Q4_BLOCK_SIZE / 2;
/** Symmetric 4-bit: the implicit zero point of `MatMulNBits` without a `zero_points` input. */
const ZERO_POINT = 8;

/** A `[N, K]` matrix in `MatMulNBits` layout: 4-bit blocks along K, one scale per block. */
export interface Q4Matrix {
  /** Output features (rows of the Hugging Face `[out, in]` weight): the op's `N` attribute. */
  n: number;
  /** Input features: the op's `K` attribute. */
  k: number;
  /** `[N, ceil(K / 32), 16]` bytes: element 2j of a block in the low nibble of byte j, element 2j+1 in the high one. */
  packed: Uint8Array;
  /** `[N * ceil(K / 32)]` scales, float32 values (already rounded to float16 when `f16Scales` was asked for). */
  scales: Float32Array;
}

/**
 * Quantize a Hugging Face `[out, in]` weight to symmetric 4-bit blocks of 32 along `in`, the layout of
 * `com.microsoft` `MatMulNBits` (bits 4, block_size 32, no zero points: 8 is implied). Per block the value of largest
 * magnitude maps to −8, so the scale is `−max / 8` and `w ≈ (q − 8) · scale`. A `K` that is not a multiple of 32 is
 * padded with zeros. One pass over typed arrays, no per-element objects (Qwen3-0.6B's 600 M weights in seconds).
 * @example const q = quantizeQ4(weights, 1024, 3072, { f16Scales: true })
 */
export function quantizeQ4(values: Float32Array, n: number, k: number, options: { f16Scales?: boolean } = {}): Q4Matrix {
  if (values.length !== n * k) throw new RangeError(`quantizeQ4: ${values.length} values are not ${n} x ${k}`);
  const blocks = Math.ceil(k / Q4_BLOCK_SIZE);
  const packed = new Uint8Array(n * blocks * BLOB_BYTES);
  const scales = new Float32Array(n * blocks);
  for (let row = 0; row < n; row++) {
    const base = row * k;
    for (let b = 0; b < blocks; b++) {
      const start = b * Q4_BLOCK_SIZE;
      const end = Math.min(k, start + Q4_BLOCK_SIZE);
      let extreme = 0;
      for (let i = start; i < end; i++) {
        const v = values[base + i]!;
        if (Math.abs(v) > Math.abs(extreme)) extreme = v;
      }
      scales[row * blocks + b] = extreme / -ZERO_POINT;
    }
  }
  // The float16 variant stores float16 scales: quantize against the rounded scale so that the stored codes are the
  // best ones for the scale the runtime will actually use.
  if (options.f16Scales === true) f16ToF32(f32ToF16(scales), scales);
  for (let row = 0; row < n; row++) {
    const base = row * k;
    for (let b = 0; b < blocks; b++) {
      const scale = scales[row * blocks + b]!;
      const inv = scale === 0 ? 0 : 1 / scale;
      const start = b * Q4_BLOCK_SIZE;
      const out = (row * blocks + b) * BLOB_BYTES;
      for (let j = 0; j < BLOB_BYTES; j++) {
        const i0 = start + 2 * j;
        const lo = i0 < k ? code(values[base + i0]! * inv) : ZERO_POINT;
        const hi = i0 + 1 < k ? code(values[base + i0 + 1]! * inv) : ZERO_POINT;
        packed[out + j] = lo | (hi << 4);
      }
    }
  }
  return { n, k, packed, scales };
}

const code = (x: number): number => Math.min(15, Math.max(0, Math.round(x) + ZERO_POINT));

/**
 * The `[N, K]` float32 weight a {@link Q4Matrix} stands for, `(q − 8) · scale`, read back from the packed bytes (so a
 * packing mistake shows up as a difference against onnxruntime, never cancels out).
 * @example const w = dequantizeQ4(quantizeQ4(values, n, k)) // Hugging Face [out, in] layout
 */
export function dequantizeQ4(matrix: Q4Matrix): Float32Array {
  const { n, k, packed, scales } = matrix;
  const blocks = Math.ceil(k / Q4_BLOCK_SIZE);
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let i = 0; i < k; i++) {
      const b = Math.floor(i / Q4_BLOCK_SIZE);
      const byte = packed[(row * blocks + b) * BLOB_BYTES + ((i % Q4_BLOCK_SIZE) >> 1)]!;
      const q = i % 2 === 0 ? byte & 0x0f : byte >> 4;
      out[row * k + i] = (q - ZERO_POINT) * scales[row * blocks + b]!;
    }
  }
  return out;
}
