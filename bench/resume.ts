/**
 * 4. Resume vs prefill, the headline: time to first token from a `.kv` on disk (read, verify, convert, seed, first
 * token through `resumeFromCache`) against a full prefill of the same context, per context length, on the
 * `qwen3-0.6b` fixture (real Qwen3-0.6B dimensions and FLOPs, random weights) and on `tiny`, with onnxruntime-node on
 * CPU. Each shape runs in its own worker process (bench/workers/resume-worker.ts).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runWorker } from "./lib/run-worker.js";
import { checkTarget, fmt, fmtBytes } from "./lib/stats.js";
import type { BenchContext, BenchMode, BenchModule, SectionResult, Stat, TableRow, TargetCheck } from "./lib/types.js";
import type { ResumeWorkerOptions } from "./workers/resume-worker.js";

type ShapePlan = Omit<ResumeWorkerOptions, "dir">;

const ALL_LENGTHS = [128, 256, 512, 1024, 2048, 4096];

/** Shapes, lengths and repetitions per mode. qwen3-0.6b prefills at 2048 and 4096 tokens get one timed run each. */
export const RESUME_PLAN: Record<BenchMode, ShapePlan[]> = {
  full: [
    { shape: "tiny", lengths: ALL_LENGTHS, prefillReps: [5], cachedReps: 7, coldReps: 3, budgetS: 900 },
    { shape: "qwen3-0.6b", lengths: ALL_LENGTHS, prefillReps: [3, 3, 3, 3, 1, 1], cachedReps: 5, coldReps: 3, budgetS: 3600 },
  ],
  quick: [
    { shape: "tiny", lengths: ALL_LENGTHS, prefillReps: [3], cachedReps: 3, coldReps: 1, budgetS: 300 },
    { shape: "qwen3-0.6b", lengths: [128, 512], prefillReps: [1], cachedReps: 3, coldReps: 1, budgetS: 300 },
  ],
  smoke: [{ shape: "tiny", lengths: [32, 64], prefillReps: [1], cachedReps: 1, coldReps: 0, budgetS: 120 }],
};

/** One measured length, as the worker reports it. */
export interface LengthResult {
  type: "length";
  shape: string;
  tokens: number;
  fileBytes: number;
  prefill: Stat;
  decodeStep: Stat;
  readFile: Stat;
  cachedWarm: Stat;
  seedWarm: Stat;
  cachedCold: Stat | null;
  readFileCold: Stat | null;
  /** The cached path step by step: readKv (read + SHA-256 check + parse), F16→F32, seeding, the first forward. */
  phases: Record<"readKv" | "convert" | "seed" | "forward", Stat>;
  firstTokenAgrees: boolean;
  /** 1-minute load average when the length started and ended. */
  loadAverage: [number, number];
  elapsedS: number;
}

/** What the report derives per length. */
export interface LengthSummary {
  shape: string;
  tokens: number;
  prefillS: number;
  prefillReps: number;
  cachedS: number;
  cachedColdS: number | null;
  decodeStepS: number;
  readFileS: number;
  speedup: number;
  speedupCold: number | null;
  /** kvcdn-cli's `N* = C_p / (C_p − C_l)` with C_l = the real cached TTFT (read, verify, convert, seed, first token). */
  breakEven: number;
  /** The same with C_l = one in-memory decode step, as kvcdn-cli computes it (no I/O). */
  breakEvenCliStyle: number;
  /** Share of the warm cached TTFT spent reading the file. */
  ioShare: number;
  ioShareCold: number | null;
  /** cached TTFT / (file read + one decode step); the target is <= 1.3. */
  overhead: number;
}

/** `C_p / (C_p − C_l)`, or Infinity when reusing never pays (kvcdn-cli plot.rs). */
export function breakEven(cp: number, cl: number): number {
  return cp > cl ? cp / (cp - cl) : Number.POSITIVE_INFINITY;
}

export function summarize(r: LengthResult): LengthSummary {
  const cp = r.prefill.median;
  const cl = r.cachedWarm.median;
  return {
    shape: r.shape,
    tokens: r.tokens,
    prefillS: cp,
    prefillReps: r.prefill.n,
    cachedS: cl,
    cachedColdS: r.cachedCold?.median ?? null,
    decodeStepS: r.decodeStep.median,
    readFileS: r.readFile.median,
    speedup: cp / cl,
    speedupCold: r.cachedCold ? cp / r.cachedCold.median : null,
    breakEven: breakEven(cp, cl),
    breakEvenCliStyle: breakEven(cp, r.decodeStep.median),
    ioShare: r.readFile.median / cl,
    ioShareCold: r.cachedCold && r.readFileCold ? r.readFileCold.median / r.cachedCold.median : null,
    overhead: cl / (r.readFile.median + r.decodeStep.median),
  };
}

async function run(ctx: BenchContext): Promise<SectionResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const shapes: Array<{ shape: string; model: Record<string, unknown> | undefined; lengths: LengthResult[]; skipped: Array<{ tokens: number; reason: string }>; failure?: string }> = [];
  for (const plan of RESUME_PLAN[ctx.mode]) {
    const dir = join(ctx.tmpDir, plan.shape);
    await mkdir(dir, { recursive: true });
    const lengths: LengthResult[] = [];
    const skipped: Array<{ tokens: number; reason: string }> = [];
    let model: Record<string, unknown> | undefined;
    ctx.log(`resume: ${plan.shape} at ${plan.lengths.join(", ")} tokens (budget ${plan.budgetS} s)`);
    const out = await runWorker<Record<string, unknown>>({
      name: "resume-worker",
      args: [JSON.stringify({ ...plan, dir } satisfies ResumeWorkerOptions)],
      // The budget stops new lengths; this cap also ends one that runs far over its prediction.
      timeoutMs: (plan.budgetS * 1.5 + 300) * 1000,
      onStderr: (text) => {
        for (const line of text.split("\n")) if (line.trim()) ctx.log(line.trim());
      },
      onLine: (line) => {
        if (line["type"] === "model") model = line;
        if (line["type"] === "length") {
          const r = line as unknown as LengthResult;
          lengths.push(r);
          ctx.log(`resume: ${r.shape} ${r.tokens} tokens: prefill ${fmt(r.prefill.median)} s, cached ${fmt(r.cachedWarm.median, 3)} s`);
        }
        if (line["type"] === "skip") skipped.push({ tokens: line["tokens"] as number, reason: line["reason"] as string });
      },
    });
    const failure =
      out.code === 0
        ? undefined
        : `${out.timedOut ? "timed out" : out.signal ? `killed by ${out.signal}` : `exit ${out.code}`}: ${out.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400)}`;
    const measured = new Set(lengths.map((l) => l.tokens));
    for (const tokens of plan.lengths) {
      if (!measured.has(tokens) && !skipped.some((s) => s.tokens === tokens)) skipped.push({ tokens, reason: failure ?? "not reached" });
    }
    shapes.push({ shape: plan.shape, model, lengths, skipped, ...(failure ? { failure } : {}) });
  }

  const summaries = shapes.flatMap((s) => s.lengths.map(summarize));
  const tables: SectionResult["tables"] = [];
  for (const s of shapes) {
    const rows: TableRow[] = s.lengths.map((r) => {
      const m = summarize(r);
      return {
        tokens: String(m.tokens),
        ".kv size": fmtBytes(r.fileBytes),
        "full prefill TTFT (s)": `${fmt(m.prefillS, m.prefillS < 1 ? 3 : 2)}${m.prefillReps === 1 ? " (1 run)" : ""}`,
        "cached TTFT, warm (s)": fmt(m.cachedS, 3),
        "cached TTFT, cold (s)": fmt(m.cachedColdS, 3),
        speedup: `${fmt(m.speedup, 1)}×`,
        "speedup, cold": m.speedupCold === null ? "—" : `${fmt(m.speedupCold, 1)}×`,
        "break-even N*": fmt(m.breakEven, 3),
        "I/O share (warm / cold)": `${fmt(m.ioShare * 100, 0)}% / ${m.ioShareCold === null ? "—" : `${fmt(m.ioShareCold * 100, 0)}%`}`,
        "cached / (read + 1 decode step)": fmt(m.overhead),
        "load avg (start → end)": r.loadAverage ? `${fmt(r.loadAverage[0], 1)} → ${fmt(r.loadAverage[1], 1)}` : "—",
      };
    });
    for (const sk of s.skipped) rows.push({ tokens: String(sk.tokens), ".kv size": "not measured", "full prefill TTFT (s)": sk.reason });
    tables.push({ caption: `${s.shape} fixture (${describeModel(s.model)})`, rows });

    const phaseRows: TableRow[] = s.lengths.map((r) => {
      const p = r.phases;
      const total = Object.values(p).reduce((a, b) => a + b.median, 0);
      const ms = (x: number) => `${fmt(x * 1000, x < 0.01 ? 2 : 0)} ms`;
      const pct = (x: Stat) => `${ms(x.median)} (${fmt((x.median / total) * 100, 0)}%)`;
      return {
        tokens: String(r.tokens),
        "readKv: read + SHA-256 + parse": pct(p.readKv),
        "fs.readFile alone (for comparison)": ms(r.readFile.median),
        "F16→F32": pct(p.convert),
        "seed tensors": pct(p.seed),
        "first-token forward": pct(p.forward),
        "in-memory decode step (kvcdn-cli kv_attn_s)": ms(r.decodeStep.median),
      };
    });
    if (phaseRows.length) tables.push({ caption: `${s.shape}: where the cached TTFT goes (warm page cache, medians)`, rows: phaseRows });
    if (s.failure) notes.push(`${s.shape}: the worker ended early (${s.failure}); lengths after the last row were not measured.`);
  }

  const q = (tokens: number) => summaries.find((m) => m.shape === "qwen3-0.6b" && m.tokens === tokens);
  const notMeasured = (tokens: number) => {
    const reason = shapes.find((s) => s.shape === "qwen3-0.6b")?.skipped.find((s) => s.tokens === tokens)?.reason;
    return reason ?? `not part of the ${ctx.mode} run`;
  };
  const qwen = summaries.filter((m) => m.shape === "qwen3-0.6b");
  const worst = qwen.length ? Math.max(...qwen.map((m) => m.overhead)) : null;
  const targets: TargetCheck[] = [
    checkTarget("qwen3-0.6b speedup at 1024 tokens (prefill TTFT / cached TTFT, warm)", q(1024)?.speedup, ">=", 20, q(1024) ? ceiling(q(1024)!) : notMeasured(1024)),
    checkTarget("qwen3-0.6b speedup at 4096 tokens (warm)", q(4096)?.speedup, ">=", 50, q(4096) ? ceiling(q(4096)!) : notMeasured(4096)),
    checkTarget(
      `qwen3-0.6b cached TTFT / (file read + one decode step), worst of ${qwen.map((m) => m.tokens).join(", ") || "none"} tokens`,
      worst,
      "<=",
      1.3,
      qwen.length ? undefined : "qwen3-0.6b not measured",
    ),
  ];
  notes.push(
    "Prefill runs alternate with the cached-path runs (and the table shows the load average per length), so a burst of other work on the machine hits both sides. TTFT excludes loading the model (the session is created once per shape; its load time is in results.json). Full prefill = `runPrefill` of context + a one-token question from an empty past (the library's default 512-token pieces), then argmax. Cached = `resumeFromCache({ kv: file, questionTokens, maxNewTokens: 1 })`: sidecar + header check, read, SHA-256 check against the sidecar, F16→F32 (the fixture graph is fp32), seed, one forward of the question token, argmax.",
    "The `.kv` files are F16 (half of F32), written by the producer path from the prefill's own state, and read warm (page cache) or cold (pages dropped with `dd iflag=nocache` before each run). Break-even `N* = C_p / (C_p − C_l)` (kvcdn-cli plot.rs) uses C_l = the real cached TTFT; kvcdn-cli's own version uses one in-memory decode step (results.json: `breakEvenCliStyle`).",
    "The fixture graph returns logits for every input position (like onnx-community exports): at Qwen3's 151,936-token vocabulary that is about 26% of a prefill's FLOPs that a last-position-only graph (candle, kvcdn-cli) would skip, so speedups against such a runtime would be up to ~1.35× smaller.",
    "Random weights: the first tokens of the two paths agree unless F16 rounding of the cache flips a near-tie (`firstTokenAgrees` in results.json); speed does not depend on the weights.",
  );
  if (ctx.mode !== "full") notes.push(`${ctx.mode} mode: ${RESUME_PLAN[ctx.mode].map((p) => `${p.shape} at ${p.lengths.join(", ")}`).join("; ")} tokens only.`);
  return {
    id: "resume",
    title: "Resume vs prefill",
    durationS: (performance.now() - t0) / 1000,
    tables,
    targets,
    notes,
    data: { shapes, summaries },
  };
}

/** The best speedup a cached path could reach here: prefill / (fs.readFile + one in-memory decode step). */
function ceiling(m: LengthSummary): string {
  return `ceiling with no overhead at all beyond reading the file and one decode step: ${fmt(m.prefillS / (m.readFileS + m.decodeStepS), 1)}×`;
}

function describeModel(model: Record<string, unknown> | undefined): string {
  if (!model) return "model not loaded";
  return `${model["numLayers"]} layers, ${model["numKvHeads"]} KV heads × ${model["headDim"]}, ${model["pastType"]} past; session load ${fmt(model["loadS"] as number, 1)} s`;
}

export const bench: BenchModule = { id: "resume", title: "Resume vs prefill", run };
