import { describe, expect, it } from "vitest";
import { castKv, concatTokens, sliceTokens, validateKvCache, type KvCache, type KvShape } from "../../src/kv/index.js";

/** A cache whose element at (layer, kv, head, token, dim) encodes its coordinates. */
function coordCache(layers: number, heads: number, tokens: number, dim: number, tokenOffset = 0): KvCache<"F32"> {
  const t = (l: number, kv: number) => {
    const data = new Float32Array(heads * tokens * dim);
    for (let h = 0; h < heads; h++)
      for (let s = 0; s < tokens; s++)
        for (let d = 0; d < dim; d++) data[(h * tokens + s) * dim + d] = l * 10000 + kv * 1000 + h * 100 + (s + tokenOffset) * 10 + d;
    return { dtype: "F32" as const, shape: [1, heads, tokens, dim] as KvShape, data };
  };
  return { dtype: "F32", layers: Array.from({ length: layers }, (_, l) => ({ key: t(l, 0), value: t(l, 1) })) };
}

describe("validateKvCache", () => {
  it("reports the dimensions of a valid cache", () => {
    expect(validateKvCache(coordCache(3, 2, 5, 4))).toEqual({ dtype: "F32", numLayers: 3, numKvHeads: 2, numTokens: 5, headDim: 4 });
  });

  it("rejects inconsistent shapes across layers, wrong dtypes, batch > 1 and short arrays", () => {
    const c = coordCache(2, 2, 3, 4);
    const other = coordCache(1, 2, 2, 4).layers[0]!;
    expect(() => validateKvCache({ ...c, layers: [c.layers[0]!, other] })).toThrow(expect.objectContaining({ code: "inconsistent_shape", tensor: "k_1" }));
    expect(() => validateKvCache({ ...c, dtype: "F16" })).toThrow(expect.objectContaining({ code: "bad_dtype" }));
    const batch2 = { dtype: "F32" as const, shape: [2, 2, 3, 4] as KvShape, data: new Float32Array(48) };
    expect(() => validateKvCache({ dtype: "F32", layers: [{ key: batch2, value: batch2 }] })).toThrow(expect.objectContaining({ code: "bad_shape" }));
    const short = { dtype: "F32" as const, shape: [1, 2, 3, 4] as KvShape, data: new Float32Array(5) };
    expect(() => validateKvCache({ dtype: "F32", layers: [{ key: short, value: short }] })).toThrow(expect.objectContaining({ code: "invalid_tensor" }));
    expect(() => validateKvCache({ dtype: "F32", layers: [] })).toThrow(expect.objectContaining({ code: "no_kv_tensors" }));
  });
});

describe("sliceTokens", () => {
  it("keeps [:, :, 0:n, :] of every key and value", () => {
    const sliced = sliceTokens(coordCache(2, 3, 5, 2), 2);
    expect(validateKvCache(sliced)).toMatchObject({ numTokens: 2, numKvHeads: 3 });
    expect(Array.from(sliced.layers[1]!.value.data)).toEqual(Array.from(coordCache(2, 3, 2, 2).layers[1]!.value.data));
  });

  it("allows 0 and the full length, and refuses more tokens than the cache has", () => {
    expect(validateKvCache(sliceTokens(coordCache(1, 1, 3, 2), 0)).numTokens).toBe(0);
    expect(sliceTokens(coordCache(1, 1, 3, 2), 3).layers[0]!.key.data).toEqual(coordCache(1, 1, 3, 2).layers[0]!.key.data);
    expect(() => sliceTokens(coordCache(1, 1, 3, 2), 4)).toThrow(expect.objectContaining({ name: "KvFormatError", code: "out_of_range" }));
  });

  it("works on F16 bit patterns", () => {
    const c = castKv(coordCache(1, 2, 4, 2), "F16");
    expect(sliceTokens(c, 1).layers[0]!.key.data).toEqual(castKv(coordCache(1, 2, 1, 2), "F16").layers[0]!.key.data);
  });
});

describe("concatTokens", () => {
  it("appends along the sequence axis per head (inverse of slicing)", () => {
    const full = coordCache(2, 3, 5, 2);
    const joined = concatTokens(sliceTokens(full, 2), coordCache(2, 3, 3, 2, 2));
    expect(joined.layers.map((l) => Array.from(l.key.data))).toEqual(full.layers.map((l) => Array.from(l.key.data)));
    expect(joined.layers.map((l) => Array.from(l.value.data))).toEqual(full.layers.map((l) => Array.from(l.value.data)));
  });

  it("refuses caches with different heads, head dims, layer counts or dtypes", () => {
    expect(() => concatTokens(coordCache(1, 2, 1, 2), coordCache(1, 3, 1, 2))).toThrow(expect.objectContaining({ code: "inconsistent_shape" }));
    expect(() => concatTokens(coordCache(2, 2, 1, 2), coordCache(1, 2, 1, 2))).toThrow(expect.objectContaining({ code: "inconsistent_shape" }));
    expect(() => concatTokens(coordCache(1, 2, 1, 2) as KvCache, castKv(coordCache(1, 2, 1, 2), "F16") as KvCache)).toThrow(
      expect.objectContaining({ code: "inconsistent_shape" }),
    );
  });
});
