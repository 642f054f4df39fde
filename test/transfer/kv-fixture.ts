import { writeKv } from "../../src/kv/write-kv.js";
import { quantizeKv } from "../../src/kv/quantize.js";
import type { KvCache } from "../../src/kv/kv-cache.js";

/** A deterministic F16 cache: `layers` layers of `[1, heads, tokens, headDim]`, values from a seeded sequence. */
export function makeCache(options: { layers: number; heads?: number; tokens: number; headDim?: number; seed?: number }): KvCache<"F16"> {
  const heads = options.heads ?? 2;
  const headDim = options.headDim ?? 8;
  let state = (options.seed ?? 1) >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // A finite F16 bit pattern (exponent never all ones).
    return (state >>> 16) & 0x7bff;
  };
  const tensor = () => {
    const data = new Uint16Array(heads * options.tokens * headDim);
    for (let i = 0; i < data.length; i++) data[i] = next();
    return { dtype: "F16" as const, shape: [1, heads, options.tokens, headDim] as [number, number, number, number], data };
  };
  return { dtype: "F16", layers: Array.from({ length: options.layers }, () => ({ key: tensor(), value: tensor() })) };
}

/**
 * Write a `.kv` + sidecar with kvcdn's writer. About `layers × 2 × heads × tokens × headDim × 2` bytes:
 * e.g. 12 layers × 2 × 2 heads × 4096 tokens × 32 × 2 B ≈ 12 MiB.
 */
export async function writeKvFixture(
  path: string,
  options: { layers: number; heads?: number; tokens: number; headDim?: number; seed?: number; quantized?: boolean; sidecar?: false; prompt?: string },
): Promise<{ path: string; sha256: string; nbytes: number }> {
  const cache = makeCache(options);
  const tokens = Array.from({ length: options.tokens }, (_, i) => (i * 7919) % 151_936);
  const sidecar = options.sidecar === false ? false : { model_name: "Qwen/Qwen3-0.6B", tokens, ...(options.prompt !== undefined ? { prompt: options.prompt } : {}) };
  const result = await writeKv(path, options.quantized ? quantizeKv(cache, { target: "F16" }) : cache, { sidecar });
  return { path: result.path, sha256: result.sha256, nbytes: result.nbytes };
}
