/**
 * 6. Second use of a reference: time to first token when the runtime is given a reference (`kv: { ref }`) the cache
 * directory does not hold yet (download + verify + store + read + first token) against one it holds (no request, no
 * hash: read + first token), and against the same file by path once readKv has recorded its check. One worker
 * process per shape (bench/workers/cache-dir-worker.ts), with a local store in that process.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runWorker } from "./lib/run-worker.js";
import { checkTarget, fmt, fmtBytes, median, stat } from "./lib/stats.js";
import type { BenchContext, BenchMode, BenchModule, SectionResult, TableRow } from "./lib/types.js";
import type { CacheDirWorkerOptions } from "./workers/cache-dir-worker.js";

/** Shapes, context lengths and repetitions per mode. */
export const CACHE_DIR_PLAN: Record<BenchMode, Array<Omit<CacheDirWorkerOptions, "dir">>> = {
  full: [
    { shape: "qwen3-0.6b", layout: "builder", tokens: 4096, reps: 3 },
    { shape: "tiny", layout: "builder", tokens: 4096, reps: 5 },
  ],
  quick: [{ shape: "tiny", layout: "builder", tokens: 2048, reps: 5 }],
  smoke: [{ shape: "tiny", layout: "builder", tokens: 64, reps: 1 }],
};

interface Rep {
  type: "rep";
  firstS: number;
  secondS: number;
  pathS: number;
  firstRequests: number;
  secondRequests: number;
}
interface Setup {
  type: "setup";
  shape: string;
  layout: string;
  pastType: string;
  tokens: number;
  fileBytes: number;
}

async function run(ctx: BenchContext): Promise<SectionResult> {
  const t0 = performance.now();
  const rows: TableRow[] = [];
  const notes: string[] = [];
  const data: Record<string, unknown>[] = [];
  const targets = [];
  for (const plan of CACHE_DIR_PLAN[ctx.mode]) {
    const dir = join(ctx.tmpDir, plan.shape);
    await mkdir(dir, { recursive: true });
    ctx.log(`cache-dir: ${plan.shape} ${plan.layout}, ${plan.tokens} tokens × ${plan.reps}`);
    const outcome = await runWorker<Setup | Rep>({
      name: "cache-dir-worker",
      args: [JSON.stringify({ ...plan, dir })],
      timeoutMs: 60 * 60_000,
      onStderr: (t) => ctx.log(t.trimEnd()),
    });
    const setup = outcome.lines.find((l): l is Setup => l.type === "setup");
    const reps = outcome.lines.filter((l): l is Rep => l.type === "rep");
    if (setup === undefined || reps.length === 0) {
      notes.push(`${plan.shape}: the worker ended without a measurement (code ${outcome.code}, signal ${outcome.signal}): ${outcome.stderr.trim().slice(-300)}`);
      continue;
    }
    const first = stat(reps.map((r) => r.firstS), "s");
    const second = stat(reps.map((r) => r.secondS), "s");
    const byPath = stat(reps.map((r) => r.pathS), "s");
    const ratio = second.median / first.median;
    const base = { model: `${plan.shape} ${plan.layout === "builder" ? "builder q4f16" : "plain fp32"}`, "context tokens": String(setup.tokens), ".kv size": fmtBytes(setup.fileBytes) };
    rows.push(
      { ...base, use: "first use of the reference (download + verify + store + read)", "TTFT s": fmt(first.median, 3), requests: String(median(reps.map((r) => r.firstRequests))) },
      { ...base, use: "second use (no request, no hash)", "TTFT s": fmt(second.median, 3), requests: String(Math.max(...reps.map((r) => r.secondRequests))) },
      { ...base, use: "the same file by path, verified once before (readKv's record)", "TTFT s": fmt(byPath.median, 3), requests: "0" },
    );
    targets.push(
      checkTarget(`${base.model}, ${setup.tokens} tokens: second use / first use of a reference`, ratio, "<", 1, `second use / by path ${fmt(second.median / byPath.median)}`),
      checkTarget(`${base.model}: requests on the second use`, Math.max(...reps.map((r) => r.secondRequests)), "<=", 0),
    );
    data.push({ ...setup, first, second, byPath, ratio, reps });
  }
  if (ctx.mode !== "full") notes.push(`${ctx.mode} mode: the tiny builder fixture only, ${CACHE_DIR_PLAN[ctx.mode][0]!.tokens} tokens (the full run adds qwen3-0.6b dimensions).`);
  notes.push(
    "Each repetition starts from an empty cache directory; its second use and the by-path read alternate twice and the faster of each pair counts. The store runs in the worker's process over loopback and its blob is in the page cache, so the first use is close to the best case of a download.",
    "The model is the builder-layout fixture (the graph onnxruntime-genai's model builder writes, q4f16 weights, random values); the cache is stored F16.",
  );
  return {
    id: "cache-dir",
    title: "Second use of a reference (cache directory)",
    durationS: (performance.now() - t0) / 1000,
    tables: [{ caption: "Time to first token through `resumeFromCache({ kv: { ref } })`, medians", rows }],
    targets,
    notes,
    data: { shapes: data },
  };
}

export const bench: BenchModule = { id: "cache-dir", title: "Second use of a reference (cache directory)", run };
