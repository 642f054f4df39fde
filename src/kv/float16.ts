// F16 / BF16 <-> F32 conversion. Node 20 has no Float16Array, so half-precision data lives in Uint16Array bit patterns.
// Narrowing rounds to nearest, ties to even, exactly like the `half` crate's `from_f32` (which candle and kvcdn-cli
// use): overflow goes to ±Inf, tiny values to subnormals or ±0, NaN stays NaN (quiet, sign and top payload bits kept).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let f16Table: Float32Array | undefined;
let f16BitsTable: Int32Array | undefined;

/** All 65,536 F16 bit patterns as F32 (256 KiB, built on first use): widening is one table lookup. */
function f16ToF32Table(): Float32Array {
  if (f16Table !== undefined) return f16Table;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const man = h & 0x3ff;
    if (exp === 0x1f) {
      bits[h] = (sign | 0x7f800000 | (man << 13)) >>> 0;
    } else if (exp !== 0) {
      bits[h] = (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
    } else {
      // zero or subnormal: man × 2^-24, exact in f32
      table[h] = (sign !== 0 ? -1 : 1) * man * 2 ** -24;
    }
  }
  f16Table = table;
  return table;
}

/** Internal: the F32 bit pattern of every F16 bit pattern, as int32 (the table {@link f16ToF32} copies from). */
export function f16ToF32BitsTable(): Int32Array {
  return (f16BitsTable ??= new Int32Array(f16ToF32Table().buffer));
}

/** Round the F32 with bit pattern `x` (a uint32) to F16 bits, ties to even. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const man = x & 0x7fffff;
  if (exp === 0xff) {
    // Inf stays Inf; NaN keeps its top payload bits and is made quiet so it cannot turn into Inf.
    return man === 0 ? sign | 0x7c00 : sign | 0x7c00 | 0x200 | (man >>> 13);
  }
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal (or zero): shift the full 24-bit significand right by 14 - e.
    const shift = 14 - e;
    if (shift > 24) return sign;
    const full = man | 0x800000;
    let h = full >>> shift;
    const half = 1 << (shift - 1);
    const rest = full & ((half << 1) - 1);
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and 0x7bff + 1 = Inf).
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/** Round the F32 with bit pattern `x` (a uint32) to BF16 bits, ties to even; NaN stays a quiet NaN. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) >>> 0 > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  const rest = x & 0xffff;
  let h = x >>> 16;
  if (rest > 0x8000 || (rest === 0x8000 && (h & 1) === 1)) h++;
  return h & 0xffff;
}

/** Round a number to F16 bits (via F32, as candle does: f64 → f32 → f16). */
export function toF16Bits(value: number): number {
  f32[0] = value;
  return f32BitsToF16Bits(u32[0]!);
}

/** Round a number to BF16 bits (via F32). */
export function toBf16Bits(value: number): number {
  f32[0] = value;
  return f32BitsToBf16Bits(u32[0]!);
}

/** The F32 value of F16 bits (exact). */
export function fromF16Bits(bits: number): number {
  return f16ToF32Table()[bits & 0xffff]!;
}

/** The F32 value of BF16 bits (exact). */
export function fromBf16Bits(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/**
 * Widen F16 bit patterns to F32 (exact).
 * @example f16ToF32(new Uint16Array([0x3c00])) // Float32Array [1]
 */
export function f16ToF32(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  // Copy the table's bit patterns as int32 (exact for every pattern, NaN payloads included) and unroll by 4: about
  // 1.8x the throughput of a plain float loop on V8 (bench/format.ts; it is on the resume path of fp32 sessions).
  const table = f16ToF32BitsTable();
  // Never write past dst (it may be a view into a larger buffer); extra src elements are ignored, as before.
  const n = Math.min(src.length, dst.length);
  const out = new Int32Array(dst.buffer, dst.byteOffset, n);
  let i = 0;
  for (const end = n - 3; i < end; i += 4) {
    out[i] = table[src[i]!]!;
    out[i + 1] = table[src[i + 1]!]!;
    out[i + 2] = table[src[i + 2]!]!;
    out[i + 3] = table[src[i + 3]!]!;
  }
  for (; i < n; i++) out[i] = table[src[i]!]!;
  return dst;
}

/**
 * Widen BF16 bit patterns to F32 (exact: BF16 is the top half of an F32).
 * @example bf16ToF32(new Uint16Array([0x3f80])) // Float32Array [1]
 */
export function bf16ToF32(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
  return dst;
}

/**
 * Narrow F32 to F16 bit patterns, round to nearest even.
 * @example f32ToF16(new Float32Array([1, 65520])) // Uint16Array [0x3c00, 0x7c00]
 */
export function f32ToF16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) dst[i] = f32BitsToF16Bits(bits[i]!);
  return dst;
}

/**
 * Narrow F32 to BF16 bit patterns, round to nearest even.
 * @example f32ToBf16(new Float32Array([1])) // Uint16Array [0x3f80]
 */
export function f32ToBf16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) dst[i] = f32BitsToBf16Bits(bits[i]!);
  return dst;
}
