// Run: npx vitest bench --run bench/kv-format.bench.ts
// Sizes follow Qwen3-0.6B (8 KV heads × head_dim 128): one tensor at 512 tokens is 524,288 elements; the whole
// 28-layer cache is 56 such tensors (58.7 MB as F16).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { bf16ToF32, castKv, dequantizeKv, f16ToF32, f32ToBf16, f32ToF16, quantizeKv, readKv, writeKv, type KvCache } from "../src/kv/index.js";
import { quantizeValues } from "../src/kv/quantize.js";

const N = 8 * 512 * 128;
const f32 = Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.001) * 4);
const f16 = f32ToF16(f32);
const bf16 = f32ToBf16(f32);

const cache: KvCache<"F16"> = {
  dtype: "F16",
  layers: Array.from({ length: 28 }, () => ({
    key: { dtype: "F16" as const, shape: [1, 8, 512, 128] as [number, number, number, number], data: f16 },
    value: { dtype: "F16" as const, shape: [1, 8, 512, 128] as [number, number, number, number], data: f16 },
  })),
};
const dir = mkdtempSync(join(tmpdir(), "kvcdn-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("F16/BF16 conversion, one 524,288-element tensor", () => {
  bench("f32ToF16", () => void f32ToF16(f32));
  bench("f16ToF32", () => void f16ToF32(f16));
  bench("f32ToBf16", () => void f32ToBf16(f32));
  bench("bf16ToF32", () => void bf16ToF32(bf16));
});

describe("quantization, one tensor", () => {
  bench("quantizeValues", () => void quantizeValues(f32));
});

describe("whole Qwen3 512-token cache (58.7 MB F16)", () => {
  bench("writeKv F16 (with sha256 + fsync)", async () => void (await writeKv(join(dir, "c.kv"), cache)), { iterations: 5 });
  bench("readKv F16 (zero-copy views, sha256 check)", async () => void (await readKv(join(dir, "c.kv"))), {
    iterations: 5,
    setup: async () => void (await writeKv(join(dir, "c.kv"), cache)),
  });
  bench("castKv F16 → F32", () => void castKv(cache, "F32"), { iterations: 5 });
  bench("quantizeKv + dequantizeKv", () => void dequantizeKv(quantizeKv(cache)), { iterations: 3 });
});
