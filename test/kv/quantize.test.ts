import { describe, expect, it } from "vitest";
import { KvFormatError, castKv, dequantizeKv, f32ToBf16, f32ToF16, parseQuantTarget, quantizeKv, type KvCache } from "../../src/kv/index.js";
import { INV_127_F32, MIN_QUANT_SCALE, dequantDtypeFor, dequantizeValues, quantizeValues } from "../../src/kv/quantize.js";

const codes = (xs: number[]) => quantizeValues(Float32Array.from(xs));

function cacheOf(values: number[], heads = 1, dim = values.length): KvCache<"F32"> {
  const t = () => ({ dtype: "F32" as const, shape: [1, heads, values.length / heads / dim, dim] as [number, number, number, number], data: Float32Array.from(values) });
  return { dtype: "F32", layers: [{ key: t(), value: t() }] };
}

/** f32 values x with f32(f32(x / s) * 127) exactly k + 0.5, found by walking ulps (as make_golden.py does). */
function exactTie(s: number, k: number): number | undefined {
  let x = Math.fround((s * (k + 0.5)) / 127);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < 8; i++) {
    const b = Math.fround(Math.fround(x / s) * 127);
    if (b === k + 0.5) return x;
    f32[0] = x;
    u32[0] = u32[0]! + (b < k + 0.5 ? 1 : -1);
    x = f32[0]!;
  }
  return undefined;
}

describe("quantizeValues (kvcdn-cli kv_quant.rs, bit-exact)", () => {
  it("gives s = 2 and q = [192, 64, 144, 1] for [1, -1, 0.25, -2] (docs/kv-format.md#worked-examples)", () => {
    const { q, scale } = codes([1, -1, 0.25, -2]);
    expect(scale).toBe(2);
    expect(Array.from(q)).toEqual([192, 64, 144, 1]);
    // Math.round alone would send -63.5 to -63 (code 65): the CLI rounds half away from zero.
    expect(Math.round(-63.5) + 128).toBe(65);
  });

  it("rounds exact .5 ties away from zero for both signs", () => {
    const s = 2;
    const ties: number[] = [];
    for (let k = 1; k < 127 && ties.length < 20; k++) {
      const x = exactTie(s, k);
      if (x !== undefined) ties.push(x);
    }
    expect(ties.length).toBe(20);
    const { q } = codes([s, ...ties, ...ties.map((x) => -x)]);
    const ks = ties.map((x) => Math.fround(Math.fround(x / s) * 127) - 0.5);
    expect(Array.from(q.subarray(1, 21))).toEqual(ks.map((k) => 128 + k + 1));
    expect(Array.from(q.subarray(21))).toEqual(ks.map((k) => 128 - k - 1));
  });

  it("maps zeros (both signs) to 128 and an all-zero tensor to the minimum scale f32(1e-12)", () => {
    const { q, scale } = codes([0, -0, 0, 0]);
    expect(scale).toBe(MIN_QUANT_SCALE);
    expect(scale).toBe(Math.fround(1e-12));
    expect(Array.from(q)).toEqual([128, 128, 128, 128]);
  });

  it("maps an all-equal tensor to 255 (positive) or 1 (negative) with scale |c|", () => {
    expect(codes([0.3, 0.3, 0.3])).toEqual({ q: new Uint8Array([255, 255, 255]), scale: Math.fround(0.3) });
    expect(codes([-7, -7])).toEqual({ q: new Uint8Array([1, 1]), scale: 7 });
  });

  it("treats subnormal inputs with the 1e-12 floor: all-subnormal tensors quantize to 128", () => {
    const tiny = 2 ** -149; // smallest f32 subnormal
    const { q, scale } = codes([tiny, -tiny, 2 ** -127, -(2 ** -130)]);
    expect(scale).toBe(MIN_QUANT_SCALE);
    expect(Array.from(q)).toEqual([128, 128, 128, 128]);
    expect(Array.from(codes([1, 2 ** -140, -(2 ** -140)]).q)).toEqual([255, 128, 128]);
  });

  it("keeps codes in [1, 255]", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3.7);
    const { q } = codes(xs);
    expect(Math.min(...q)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...q)).toBeLessThanOrEqual(255);
  });

  it("rejects ±Inf and NaN with a non_finite KvFormatError instead of writing garbage codes", () => {
    for (const bad of [Infinity, -Infinity, NaN]) {
      expect(() => codes([1, bad])).toThrow(KvFormatError);
      try {
        codes([1, bad]);
      } catch (e) {
        expect((e as KvFormatError).code).toBe("non_finite");
      }
    }
  });
});

describe("dequantizeValues", () => {
  it("computes f32(f32((q - 128) * s) * f32(1/127))", () => {
    expect(INV_127_F32).toBe(Math.fround(1 / 127));
    const out = dequantizeValues(new Uint8Array([192, 64, 128, 255, 1]), 2);
    expect(Array.from(out)).toEqual([64, -64, 0, 127, -127].map((r) => Math.fround(Math.fround(r * 2) * INV_127_F32)));
    // f32(1/127) multiplication differs from a true division for some codes; we follow candle's affine(1/127).
    const s = Math.fround(0.7);
    const diff = Array.from({ length: 255 }, (_, i) => i + 1).filter(
      (q) => Math.fround(Math.fround((q - 128) * s) * INV_127_F32) !== Math.fround(Math.fround((q - 128) * s) / 127),
    );
    expect(diff.length).toBeGreaterThan(0);
    const got = dequantizeValues(Uint8Array.from(diff), s);
    expect(Array.from(got)).toEqual(diff.map((q) => Math.fround(Math.fround((q - 128) * s) * INV_127_F32)));
  });
});

describe("quantizeKv / dequantizeKv", () => {
  const cache = cacheOf([1, -1, 0.25, -2, 0.5, 0.125, -0.375, 1.5]);

  it("produces the same codes whatever the target (only the sidecar dtype changes)", () => {
    const a = quantizeKv(cache, { target: "F32" });
    const b = quantizeKv(castKv(cache, "F16"), { target: "I8" });
    expect(a.layers[0]!.key.q).toEqual(b.layers[0]!.key.q);
    expect([a.target, b.target]).toEqual(["F32", "I8"]);
  });

  it("dequantizes to the target's dtype (I8 and FP8 → F16) with round-to-nearest-even narrowing", () => {
    const q = quantizeKv(cache, { target: "BF16" });
    const wide = dequantizeValues(q.layers[0]!.key.q, q.layers[0]!.key.scale);
    expect(dequantizeKv(q).dtype).toBe("BF16");
    expect(dequantizeKv(q).layers[0]!.key.data).toEqual(f32ToBf16(wide));
    expect(dequantizeKv(q, { dtype: "F16" }).layers[0]!.key.data).toEqual(f32ToF16(wide));
    expect(dequantizeKv(q, { dtype: "F32" }).layers[0]!.key.data).toEqual(wide);
    expect(dequantizeKv(quantizeKv(cache, { target: "I8" })).dtype).toBe("F16");
    expect(dequantizeKv(quantizeKv(cache, { target: "FP8" })).dtype).toBe("F16");
    expect([dequantDtypeFor(undefined), dequantDtypeFor("F32"), dequantDtypeFor("U8")]).toEqual(["F16", "F32", "F16"]);
  });

  it("stays within s/254 (half a step) of the input", () => {
    const q = quantizeKv(cache, { target: "F32" });
    const back = dequantizeKv(q, { dtype: "F32" }).layers[0]!.key.data;
    const s = q.layers[0]!.key.scale;
    cache.layers[0]!.key.data.forEach((x, i) => expect(Math.abs(back[i]! - x)).toBeLessThanOrEqual(s / 254 + 1e-6));
  });
});

describe("parseQuantTarget", () => {
  it("accepts F16, F32, BF16, FP8 and its aliases F8 and F8E4M3, and I8, in any case", () => {
    expect(["F16", "f32", "BF16", "FP8", "F8", "f8e4m3", "I8"].map(parseQuantTarget)).toEqual(["F16", "F32", "BF16", "FP8", "FP8", "FP8", "I8"]);
  });

  it("refuses U8, I4, U4, FP4, F4, FP1 (as kvcdn-cli does) and unknown names", () => {
    for (const t of ["U8", "I4", "U4", "FP4", "F4", "FP1", "F64", ""]) {
      expect(() => parseQuantTarget(t), t).toThrow(expect.objectContaining({ name: "KvFormatError", code: "unsupported_dtype" }));
    }
  });
});
