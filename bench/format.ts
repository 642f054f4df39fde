/**
 * 3. The `.kv` format: a full read of a Qwen3-0.6B-shaped 2048-token F16 cache vs `fs.readFile`, a header-only inspect
 * of a 4 GiB file, F16 <-> F32 conversion vs a `Float32Array.set` copy, quantize/dequantize throughput.
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { dequantizeKv, f16ToF32, f32ToF16, inspectKv, quantizeKv, readKv, readKvMetadata, writeKv, type KvCache } from "../src/kv/index.js";
import { dequantizeValues, quantizeValues } from "../src/kv/quantize.js";
import { checkTarget, fmt, fmtBytes, median, melemPerSecond, stat } from "./lib/stats.js";
import type { BenchContext, BenchMode, BenchModule, SectionResult, TableRow } from "./lib/types.js";
import { fillRandomF16, QWEN3_HEAD_DIM, QWEN3_KV_HEADS, QWEN3_LAYERS, writeSparseKv } from "./lib/write-random-kv.js";

/** Sizes and repetitions per mode. */
export const FORMAT_PLAN: Record<BenchMode, { tokens: number; readReps: number; elements: number; convReps: number; headerReps: number; cacheReps: number }> = {
  full: { tokens: 2048, readReps: 9, elements: 2 ** 24, convReps: 9, headerReps: 50, cacheReps: 3 },
  quick: { tokens: 2048, readReps: 5, elements: 2 ** 24, convReps: 5, headerReps: 30, cacheReps: 1 },
  smoke: { tokens: 64, readReps: 2, elements: 2 ** 18, convReps: 2, headerReps: 5, cacheReps: 1 },
};

/** Run each function once per round, rotating the order every round; seconds per function. */
async function rounds(reps: number, fns: Record<string, () => unknown>): Promise<Record<string, number[]>> {
  const names = Object.keys(fns);
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      const t0 = performance.now();
      await fns[name]!();
      out[name]!.push((performance.now() - t0) / 1000);
    }
  }
  return out;
}

function randomCache(tokens: number): KvCache<"F16"> {
  const shape: [number, number, number, number] = [1, QWEN3_KV_HEADS, tokens, QWEN3_HEAD_DIM];
  const n = QWEN3_KV_HEADS * tokens * QWEN3_HEAD_DIM;
  const tensor = () => {
    const data = new Uint16Array(n);
    fillRandomF16(new Uint8Array(data.buffer));
    return { dtype: "F16" as const, shape: [...shape] as typeof shape, data };
  };
  return { dtype: "F16", layers: Array.from({ length: QWEN3_LAYERS }, () => ({ key: tensor(), value: tensor() })) };
}

/** The least a header-only reader must do: open, read 8 + N bytes, parse the JSON, close. */
async function rawHeader(path: string): Promise<unknown> {
  const handle = await open(path, "r");
  try {
    const prefix = Buffer.alloc(8);
    await handle.read(prefix, 0, 8, 0);
    const n = Number(prefix.readBigUInt64LE(0));
    const json = Buffer.alloc(n);
    await handle.read(json, 0, n, 8);
    return JSON.parse(json.toString("utf8"));
  } finally {
    await handle.close();
  }
}

async function run(ctx: BenchContext): Promise<SectionResult> {
  const t0 = performance.now();
  const plan = FORMAT_PLAN[ctx.mode];
  const notes: string[] = [];

  // Full read vs fs.readFile.
  ctx.log(`format: writing a ${plan.tokens}-token Qwen3-0.6B F16 cache`);
  const cache = randomCache(plan.tokens);
  const path = join(ctx.tmpDir, "cache.kv");
  const written = await writeKv(path, cache, { sidecar: { model_name: "Qwen/Qwen3-0.6B" } });
  const read = await rounds(plan.readReps + 1, {
    readFile: () => readFile(path),
    readKv: () => readKv(path, { verifySha256: false }),
    readKvVerified: () => readKv(path),
    readKvF32: () => readKv(path, { dtype: "F32", verifySha256: false }),
  });
  // Drop the first round: it warms the JIT and the page cache.
  const readStats = Object.fromEntries(Object.entries(read).map(([k, v]) => [k, stat(v.slice(1), "s")]));
  const base = readStats["readFile"]!.median;
  const readRatio = readStats["readKv"]!.median / base;
  const mbps = (s: number) => fmt(written.nbytes / 2 ** 20 / s, 0);
  const readRows: TableRow[] = [
    { what: "`fs.readFile` (baseline)", "ms (median)": fmt(base * 1000, 1), "MiB/s": mbps(base), "ratio to readFile": "1.00" },
    ...(
      [
        ["`readKv` (parse + validate + zero-copy typed views; sidecar read, SHA-256 check off)", "readKv"],
        ["`readKv` default (+ SHA-256 check against the sidecar)", "readKvVerified"],
        ["`readKv` to F32 (+ F16→F32 conversion, what an fp32 session needs)", "readKvF32"],
      ] as const
    ).map(([what, key]) => {
      const m = readStats[key]!.median;
      return { what, "ms (median)": fmt(m * 1000, 1), "MiB/s": mbps(m), "ratio to readFile": fmt(m / base) };
    }),
  ];

  // Header-only inspect of a 4 GiB sparse file.
  const sparse = await writeSparseKv({ path: join(ctx.tmpDir, "sparse-4g.kv"), bytes: 4 * 2 ** 30 });
  const header = await rounds(plan.headerReps + 1, {
    raw: () => rawHeader(sparse.path),
    readKvMetadata: () => readKvMetadata(sparse.path),
    inspectKv: () => inspectKv(sparse.path),
  });
  const headerStats = Object.fromEntries(Object.entries(header).map(([k, v]) => [k, stat(v.slice(1).map((s) => s * 1000), "ms")]));
  const headerRows: TableRow[] = [
    { what: "open + read 8 + N bytes + JSON.parse + close (baseline)", "ms (median)": fmt(headerStats["raw"]!.median, 3), "ms (max)": fmt(headerStats["raw"]!.max, 3) },
    { what: "`readKvMetadata` (header-only fallback, no sidecar)", "ms (median)": fmt(headerStats["readKvMetadata"]!.median, 3), "ms (max)": fmt(headerStats["readKvMetadata"]!.max, 3) },
    { what: "`inspectKv` (what `kvcdn inspect` runs)", "ms (median)": fmt(headerStats["inspectKv"]!.median, 3), "ms (max)": fmt(headerStats["inspectKv"]!.max, 3) },
  ];

  // Element-wise kernels on one large array.
  const n = plan.elements;
  const f16 = new Uint16Array(n);
  fillRandomF16(new Uint8Array(f16.buffer));
  const f32 = f16ToF32(f16);
  const dst32 = new Float32Array(n);
  const dst16 = new Uint16Array(n);
  const quantized = quantizeValues(f32);
  const kernels = await rounds(plan.convReps + 1, {
    copy: () => dst32.set(f32),
    f16ToF32: () => f16ToF32(f16, dst32),
    f32ToF16: () => f32ToF16(f32, dst16),
    quantize: () => quantizeValues(f32),
    dequantize: () => dequantizeValues(quantized.q, quantized.scale, dst32),
  });
  const kernelStats = Object.fromEntries(Object.entries(kernels).map(([k, v]) => [k, stat(v.slice(1), "s")]));
  const copyS = kernelStats["copy"]!.median;
  const kernelRows: TableRow[] = (
    [
      ["`Float32Array.set` copy, F32 → F32 (baseline)", "copy"],
      ["`f16ToF32` (table lookup, exact)", "f16ToF32"],
      ["`f32ToF16` (round to nearest even)", "f32ToF16"],
      ["`quantizeValues` F32 → int8 codes (kvcdn-cli bit-exact)", "quantize"],
      ["`dequantizeValues` int8 codes → F32", "dequantize"],
    ] as const
  ).map(([what, key]) => {
    const s = kernelStats[key]!.median;
    return { what, "M elements/s": fmt(melemPerSecond(n, s), 0), "ms (median)": fmt(s * 1000, 2), "time / copy": fmt(s / copyS) };
  });

  // Whole-cache quantize + dequantize (allocations included, as users call them).
  const whole = await rounds(plan.cacheReps, {
    quantizeKv: () => quantizeKv(cache),
    dequantizeKv: () => dequantizeKv(quantizeKv(cache)),
  });
  const qS = median(whole["quantizeKv"]!);
  const dqS = median(whole["dequantizeKv"]!) - qS;
  const cacheElems = QWEN3_LAYERS * 2 * QWEN3_KV_HEADS * plan.tokens * QWEN3_HEAD_DIM;
  const wholeRows: TableRow[] = [
    { what: `\`quantizeKv\` F16 cache → int8 (${plan.tokens} tokens)`, "ms (median)": fmt(qS * 1000, 0), "M elements/s": fmt(melemPerSecond(cacheElems, qS), 0) },
    { what: "`dequantizeKv` int8 → F16 (estimated: quantize+dequantize minus quantize)", "ms (median)": fmt(dqS * 1000, 0), "M elements/s": fmt(melemPerSecond(cacheElems, dqS), 0) },
  ];

  if (ctx.mode === "smoke") notes.push(`smoke mode: a ${plan.tokens}-token cache and ${n} elements instead of 2048 tokens and 2^24 elements.`);
  notes.push(
    `The cache file is ${fmtBytes(written.nbytes)} and in the page cache; the first round of every comparison is dropped (JIT and cache warm-up).`,
    `The sparse file has a real header for ${sparse.tokens} tokens (${fmtBytes(sparse.sizeBytes)}) and no data blocks: it proves the readers never touch tensor data.`,
  );
  return {
    id: "format",
    title: "Format",
    durationS: (performance.now() - t0) / 1000,
    tables: [
      { caption: `Full read of a Qwen3-0.6B ${plan.tokens}-token F16 cache (${fmtBytes(written.nbytes)}), median of ${plan.readReps}`, rows: readRows },
      { caption: `Header-only read of a ${fmtBytes(sparse.sizeBytes)} file, median of ${plan.headerReps}`, rows: headerRows },
      { caption: `Element-wise kernels on ${n.toLocaleString("en-US")} elements, median of ${plan.convReps}`, rows: kernelRows },
      { caption: "Whole-cache quantization", rows: wholeRows },
    ],
    targets: [
      checkTarget(`full .kv read / fs.readFile (${plan.tokens} tokens)`, readRatio, "<=", 1.2),
      checkTarget(`header-only inspect of ${fmtBytes(sparse.sizeBytes)} (ms, readKvMetadata)`, headerStats["readKvMetadata"]!.median, "<", 5),
      checkTarget(`header-only inspect of ${fmtBytes(sparse.sizeBytes)} (ms, inspectKv)`, headerStats["inspectKv"]!.median, "<", 5),
    ],
    notes,
    data: {
      cacheBytes: written.nbytes,
      tokens: plan.tokens,
      read: readStats,
      readRatio,
      header: { sizeBytes: sparse.sizeBytes, ...headerStats },
      elements: n,
      kernels: Object.fromEntries(Object.entries(kernelStats).map(([k, v]) => [k, { ...v, melemPerSecond: melemPerSecond(n, v.median) }])),
      wholeCache: { elements: cacheElems, quantizeS: qS, dequantizeS: dqS },
    },
  };
}

export const bench: BenchModule = { id: "format", title: "Format", run };
