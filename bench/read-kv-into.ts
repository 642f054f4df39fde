/**
 * Wall time and peak RSS of loading a Qwen3-0.6B-sized F16 `.kv` (28 layers × 8 KV heads × 128 dims) from the page
 * cache with readKv (one file-sized buffer, tensors as views) and with readKvInto (straight into F16
 * `[1, 8, tokens + 16, 128]` buffers, as the runtime's shared past/present KV mode wants them); "readKv+copy" is
 * readKv followed by a copy into such buffers, what the runtime would do without readKvInto.
 *
 *   npx tsx bench/read-kv-into.ts [--tokens 4096] [--runs 3]
 *
 * Each read runs in a fresh process that reports its own peak RSS (VmHWM, bench/lib/peak-rss.ts) and its RSS
 * before reading. "hashed" reads check the sidecar's SHA-256 (no verification record); "trusted" ones skip it
 * because a record holds. The file lives in a temporary folder, removed at the end. A benchmark: nothing asserts.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { peakRssBytes } from "./lib/peak-rss.js";
import { fillRandomF16, QWEN3_HEAD_DIM, QWEN3_KV_HEADS, QWEN3_LAYERS } from "./lib/write-random-kv.js";

const SPARE_POSITIONS = 16;

async function child(mode: string, path: string, hashed: boolean): Promise<void> {
  const { readKv } = await import("../src/kv/read-kv.js");
  const { readKvInto } = await import("../src/kv/read-kv-into.js");
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  const options = { recordVerification: !hashed, verifySha256: true };
  const start = performance.now();
  if (mode === "readKv") {
    await readKv(path, { ...options, dtype: "F16" });
  } else if (mode === "readKv+copy") {
    // What the runtime would do without readKvInto: read, then copy into the capacity buffers.
    const { cache } = await readKv(path, { ...options, dtype: "F16" });
    const [, heads, tokens, dim] = cache.layers[0]!.key.shape;
    const capacity = tokens + SPARE_POSITIONS;
    const kept: Uint16Array[] = [];
    for (const layer of cache.layers) {
      for (const t of [layer.key, layer.value]) {
        const out = new Uint16Array(heads * capacity * dim);
        for (let h = 0; h < heads; h++) out.set(t.data.subarray(h * tokens * dim, (h + 1) * tokens * dim), h * capacity * dim);
        kept.push(out);
      }
    }
    if (kept.length !== cache.layers.length * 2) throw new Error("copy incomplete");
  } else {
    await readKvInto(path, {
      ...options,
      dtype: "F16",
      allocate: (l) =>
        Array.from({ length: l.numLayers }, () => {
          const capacity = l.numTokens + SPARE_POSITIONS;
          const one = () => ({ data: new Uint16Array(l.numKvHeads * capacity * l.headDim), capacity });
          return { key: one(), value: one() };
        }),
    });
  }
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ ms, baseline, peak: peakRssBytes() }));
}

async function main(): Promise<void> {
  const [first, ...rest] = process.argv.slice(2);
  if (first === "--child") return child(rest[0]!, rest[1]!, rest[2] === "hashed");
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? fallback : Number(process.argv[i + 1]);
  };
  const tokens = arg("--tokens", 4096);
  const runs = arg("--runs", 3);
  const { writeKv } = await import("../src/kv/write-kv.js");
  const { recordVerification, verificationRecordPath } = await import("../src/kv/verification-record.js");
  const dir = await mkdtemp(join(tmpdir(), "kvcdn-bench-read-into-"));
  try {
    const shape: [number, number, number, number] = [1, QWEN3_KV_HEADS, tokens, QWEN3_HEAD_DIM];
    const tensor = () => ({ dtype: "F16" as const, shape, data: new Uint16Array(fillRandomF16(new Uint8Array(QWEN3_KV_HEADS * tokens * QWEN3_HEAD_DIM * 2)).buffer) });
    const path = join(dir, "ctx.kv");
    const { nbytes, sha256 } = await writeKv(path, { dtype: "F16", layers: Array.from({ length: QWEN3_LAYERS }, () => ({ key: tensor(), value: tensor() })) });
    await readFile(path); // into the page cache
    const self = fileURLToPath(import.meta.url);
    console.log(`${(nbytes / 1e6).toFixed(0)} MB F16 cache, ${tokens} tokens; capacity ${tokens + SPARE_POSITIONS}; ${runs} runs each, fresh process per run`);
    for (const check of ["hashed", "trusted"]) {
      if (check === "trusted") await recordVerification(path, sha256);
      for (const mode of ["readKv", "readKv+copy", "readKvInto"]) {
        const results: Array<{ ms: number; baseline: number; peak: number }> = [];
        for (let r = 0; r < runs; r++) {
          if (check === "hashed") await rm(verificationRecordPath(path), { force: true });
          const out = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", self, "--child", mode, path, check], { encoding: "utf8" });
          if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
          results.push(JSON.parse(out.stdout));
        }
        const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        const mib = (b: number) => (b / 2 ** 20).toFixed(0);
        console.log(
          `${check.padEnd(8)} ${mode.padEnd(11)} wall ${median(results.map((x) => x.ms)).toFixed(0).padStart(5)} ms  ` +
            `peak RSS ${mib(median(results.map((x) => x.peak)))} MiB (before reading ${mib(median(results.map((x) => x.baseline)))} MiB)  ` +
            `runs: ${results.map((x) => x.ms.toFixed(0)).join(", ")} ms`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
