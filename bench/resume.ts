/**
 * 4. Resume vs prefill, the headline: time to first token from a `.kv` against a full prefill of the same context,
 * on the model kind users run (the builder-layout q4f16 fixture at Qwen3-0.6B dimensions: GroupQueryAttention,
 * MatMulNBits, float16 past) and on the plain-op fp32 graph as a second row, with onnxruntime-node on CPU. Per
 * length, in one process and interleaved: full prefill, from the file (first read, warm and cold page cache), from a
 * `prepareCache` handle, and the floor (a bare `session.run` with the same past, and `fs.readFile` of the file); peak
 * RSS per path from child processes. Each model runs in its own worker process (bench/workers/resume-worker.ts).
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT, runWorker } from "./lib/run-worker.js";
import { checkTarget, fmt, fmtBytes } from "./lib/stats.js";
import type { BenchContext, BenchMode, BenchModule, SectionResult, Stat, TableRow, TargetCheck } from "./lib/types.js";
import { MODEL_MALLOC_TUNABLES } from "../src/onnx/malloc-tunables.js";
import type { AllocatorResult, FixtureSpec, ResumeWorkerOptions, RssPath, RssResult } from "./workers/resume-worker.js";

type Plan = Omit<ResumeWorkerOptions, "dir">;

/** The headline model: what users run (onnx-community `model_q4f16.onnx`, made by the model builder). */
export const HEADLINE: FixtureSpec = {
  label: "q4f16 builder",
  fixture: { shape: "qwen3-0.6b", layout: "builder", variants: "q4f16", seed: 0 },
  dtype: "q4f16",
};
/** The second row: the plain-op fp32 graph the runtime started with. */
export const PLAIN_FP32: FixtureSpec = { label: "fp32 plain", fixture: { shape: "qwen3-0.6b", seed: 0 }, dtype: "fp32" };
const SMOKE: FixtureSpec = { label: "tiny fp32", fixture: { shape: "tiny", seed: 0 }, dtype: "fp32" };

const QUESTION_TOKENS = 15;
const ALL_RSS: RssPath[] = ["file", "prepared", "bare", "prefill"];

/** Models, lengths and repetitions per mode. */
export const RESUME_PLAN: Record<BenchMode, Plan[]> = {
  full: [
    { ...HEADLINE, lengths: [512, 1024, 2048, 4096, 8192], prefillReps: [3, 3, 2, 1, 1], cachedReps: 5, coldReps: 5, questionTokens: QUESTION_TOKENS, rssPaths: ALL_RSS, budgetS: 1500, allocatorAt: [4096] },
    { ...PLAIN_FP32, lengths: [512, 1024, 2048, 4096], prefillReps: [2, 2, 1, 1], cachedReps: 5, coldReps: 2, questionTokens: QUESTION_TOKENS, rssPaths: ALL_RSS, budgetS: 900 },
  ],
  quick: [
    { ...HEADLINE, lengths: [512, 1024], prefillReps: [1], cachedReps: 3, coldReps: 1, questionTokens: QUESTION_TOKENS, rssPaths: ALL_RSS, budgetS: 300, allocatorAt: [1024] },
    { ...PLAIN_FP32, lengths: [512], prefillReps: [1], cachedReps: 3, coldReps: 1, questionTokens: QUESTION_TOKENS, rssPaths: [], budgetS: 200 },
  ],
  // Smoke keeps one RSS child (the file path) so the measurement itself is exercised, in seconds.
  smoke: [{ ...SMOKE, lengths: [32, 64], prefillReps: [1], cachedReps: 1, coldReps: 0, questionTokens: 4, rssPaths: ["file"], budgetS: 120 }],
};

type RssLine = RssResult | { type: "rss"; path: RssPath; error: string };
type AllocatorLine = AllocatorResult | { type: "allocator"; tuning: string; error: string };

/** One measured length, as the worker reports it. */
export interface LengthResult {
  type: "length";
  label: string;
  tokens: number;
  fileBytes: number;
  prefill: Stat;
  /** From the file, first read: SHA-256 checked (and a verification record written). */
  fileFirst: Stat;
  /** From the file, page cache warm, verification record present. */
  fileWarm: Stat;
  fileCold: Stat | null;
  /** prepareCache itself (read + check + convert + tensors), once. */
  prepare: Stat;
  /** resumeFromCache from the prepared handle. */
  prepared: Stat;
  /** The floor: bare session.run of the question over the same past. */
  bare: Stat;
  readFile: Stat;
  readFileCold: Stat | null;
  /** The warm file path step by step: readKv, dtype conversion, seeding, the forward. */
  phases: Record<"readKv" | "convert" | "seed" | "forward", Stat>;
  rss: RssLine[];
  /** The cached paths and the floor in fresh processes under glibc's default and kvcdn's malloc thresholds. */
  allocator?: AllocatorLine[];
  firstTokenAgrees: boolean;
  /** 1-minute load average when the length started and ended. */
  loadAverage: [number, number];
  elapsedS: number;
}

/** What the report derives per length (the ratios of the issue's targets). */
export interface LengthSummary {
  label: string;
  tokens: number;
  prefillS: number;
  prefillReps: number;
  fileWarmS: number;
  fileColdS: number | null;
  fileFirstS: number;
  preparedS: number;
  bareS: number;
  readFileS: number;
  readFileColdS: number | null;
  speedupFile: number;
  speedupPrepared: number;
  /** prepared / bare (target <= 1.15). */
  preparedOverBare: number;
  /** file warm / (readFile + bare) (target <= 1.3). */
  fileOverFloor: number;
  /** file cold / (cold read + bare) (target <= 1.3). */
  coldOverFloor: number | null;
  /** kvcdn-cli's `N* = C_p / (C_p − C_l)` with C_l = the warm file TTFT. */
  breakEven: number;
  fileBytes: number;
  modelBytes: number;
  /** Peak RSS per path (bytes), when measured. */
  peakRss: Partial<Record<RssPath, number>>;
  /** The first run of a fresh session per path (seconds), from the RSS processes. */
  freshRunS: Partial<Record<RssPath, number>>;
  /** Peak RSS of each RSS process right after loading the model, before its path ran (bytes). */
  afterLoadRss: Partial<Record<RssPath, number>>;
}

/** `C_p / (C_p − C_l)`, or Infinity when reusing never pays (kvcdn-cli plot.rs). */
export function breakEven(cp: number, cl: number): number {
  return cp > cl ? cp / (cp - cl) : Number.POSITIVE_INFINITY;
}

export function summarize(r: LengthResult, modelBytes: number): LengthSummary {
  const cp = r.prefill.median;
  const peakRss: LengthSummary["peakRss"] = {};
  const freshRunS: LengthSummary["freshRunS"] = {};
  const afterLoadRss: LengthSummary["afterLoadRss"] = {};
  for (const line of r.rss) {
    if ("maxRssBytes" in line) {
      peakRss[line.path] = line.maxRssBytes;
      freshRunS[line.path] = line.firstRunS;
      afterLoadRss[line.path] = line.afterLoadRssBytes;
    }
  }
  return {
    label: r.label,
    tokens: r.tokens,
    prefillS: cp,
    prefillReps: r.prefill.n,
    fileWarmS: r.fileWarm.median,
    fileColdS: r.fileCold?.median ?? null,
    fileFirstS: r.fileFirst.median,
    preparedS: r.prepared.median,
    bareS: r.bare.median,
    readFileS: r.readFile.median,
    readFileColdS: r.readFileCold?.median ?? null,
    speedupFile: cp / r.fileWarm.median,
    speedupPrepared: cp / r.prepared.median,
    preparedOverBare: r.prepared.median / r.bare.median,
    fileOverFloor: r.fileWarm.median / (r.readFile.median + r.bare.median),
    coldOverFloor: r.fileCold && r.readFileCold ? r.fileCold.median / (r.readFileCold.median + r.bare.median) : null,
    breakEven: breakEven(cp, r.fileWarm.median),
    fileBytes: r.fileBytes,
    modelBytes,
    peakRss,
    freshRunS,
    afterLoadRss,
  };
}

/** The fp32 rows of the committed results.json before this run: warm cached TTFT and its overhead ratio, by length. */
async function previousFp32(): Promise<Map<number, { cachedS: number; overhead: number; questionTokens: number }>> {
  const out = new Map<number, { cachedS: number; overhead: number; questionTokens: number }>();
  try {
    const prev = JSON.parse(await readFile(join(REPO_ROOT, "bench", "results.json"), "utf8")) as { mode: string; sections: Array<{ id: string; data: Record<string, unknown> }> };
    if (prev.mode !== "full") return out;
    const summaries = (prev.sections.find((s) => s.id === "resume")?.data["summaries"] ?? []) as Array<Record<string, unknown>>;
    for (const m of summaries) {
      // Before this layout: { shape: "qwen3-0.6b", cachedS, overhead } with a one-token question.
      if (m["shape"] === "qwen3-0.6b") out.set(m["tokens"] as number, { cachedS: m["cachedS"] as number, overhead: m["overhead"] as number, questionTokens: 1 });
      if (m["label"] === PLAIN_FP32.label) out.set(m["tokens"] as number, { cachedS: m["fileWarmS"] as number, overhead: m["fileOverFloor"] as number, questionTokens: QUESTION_TOKENS });
    }
  } catch {
    // no committed results: nothing to compare with
  }
  return out;
}

const GB = 1e9;
const gb = (b: number | undefined): string => (b === undefined ? "—" : `${fmt(b / GB, 2)} GB`);

async function run(ctx: BenchContext): Promise<SectionResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const before = await previousFp32();
  const models: Array<{ label: string; model: Record<string, unknown> | undefined; lengths: LengthResult[]; skipped: Array<{ tokens: number; reason: string }>; failure?: string }> = [];
  const plans = RESUME_PLAN[ctx.mode];
  for (const [i, plan] of plans.entries()) {
    const dir = join(ctx.tmpDir, plan.dtype);
    // With --deadline, the headline model gets 60% of what is left, the next ones share the rest.
    const deadlineMs =
      ctx.deadlineMs === undefined ? undefined : i === plans.length - 1 ? ctx.deadlineMs : Date.now() + 0.6 * (ctx.deadlineMs - Date.now());
    await mkdir(dir, { recursive: true });
    const lengths: LengthResult[] = [];
    const skipped: Array<{ tokens: number; reason: string }> = [];
    let model: Record<string, unknown> | undefined;
    ctx.log(`resume: ${plan.label} at ${plan.lengths.join(", ")} tokens (budget ${plan.budgetS} s)`);
    const out = await runWorker<Record<string, unknown>>({
      name: "resume-worker",
      args: [JSON.stringify({ ...plan, dir, ...(deadlineMs !== undefined ? { deadlineMs } : {}) } satisfies ResumeWorkerOptions)],
      // A collection before each timed run (untimed), so no path pays for freeing the previous one's outputs.
      nodeArgs: ["--expose-gc"],
      // The C allocator as the CLI's model commands run it (docs/runtime.md#memory-allocator); the allocator table
      // measures glibc's defaults beside it.
      env: { GLIBC_TUNABLES: MODEL_MALLOC_TUNABLES },
      // The budget stops new lengths; this cap also ends one that runs far over its prediction.
      timeoutMs: Math.min((plan.budgetS * 1.5 + 600) * 1000, deadlineMs === undefined ? Infinity : deadlineMs - Date.now() + 300_000),
      onStderr: (text) => {
        for (const line of text.split("\n")) if (line.trim()) ctx.log(line.trim());
      },
      onLine: (line) => {
        if (line["type"] === "model") model = line;
        if (line["type"] === "length") {
          const r = line as unknown as LengthResult;
          lengths.push(r);
          ctx.log(`resume: ${r.label} ${r.tokens} tokens: prefill ${fmt(r.prefill.median)} s, file ${fmt(r.fileWarm.median, 3)} s, prepared ${fmt(r.prepared.median, 3)} s, bare ${fmt(r.bare.median, 3)} s`);
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
    models.push({ label: plan.label, model, lengths, skipped, ...(failure ? { failure } : {}) });
  }

  const summaries = models.flatMap((m) => m.lengths.map((r) => summarize(r, (m.model?.["modelBytes"] as number | undefined) ?? 0)));
  const tables: SectionResult["tables"] = [];
  const ms = (s: number | null | undefined) => (s === null || s === undefined ? "—" : s < 10 ? `${fmt(s * 1000, 0)} ms` : `${fmt(s, 1)} s`);
  for (const m of models) {
    const rows: TableRow[] = m.lengths.map((r) => {
      const x = summarize(r, (m.model?.["modelBytes"] as number | undefined) ?? 0);
      return {
        tokens: String(x.tokens),
        ".kv (F16)": fmtBytes(r.fileBytes),
        "full prefill": `${ms(x.prefillS)}${x.prefillReps === 1 ? " (1 run)" : ""}`,
        "file, first read (SHA-256)": ms(x.fileFirstS),
        "file, warm": ms(x.fileWarmS),
        "file, cold": ms(x.fileColdS),
        prepared: ms(x.preparedS),
        "bare ORT run (floor)": ms(x.bareS),
        "fs.readFile warm / cold": `${ms(x.readFileS)} / ${ms(x.readFileColdS)}`,
        "speedup file / prepared": `${fmt(x.speedupFile, 1)}× / ${fmt(x.speedupPrepared, 1)}×`,
        "prepared ÷ bare": fmt(x.preparedOverBare),
        "warm ÷ (read + bare)": fmt(x.fileOverFloor),
        "cold ÷ (cold read + bare)": fmt(x.coldOverFloor),
        "load avg": `${fmt(r.loadAverage[0], 1)} → ${fmt(r.loadAverage[1], 1)}`,
      };
    });
    for (const sk of m.skipped) rows.push({ tokens: String(sk.tokens), ".kv (F16)": "not measured", "full prefill": sk.reason });
    tables.push({ caption: `${m.label}: time to first token (${describeModel(m.model)})`, rows });

    const rssRows: TableRow[] = m.lengths
      .filter((r) => r.rss.length > 0)
      .map((r) => {
        const x = summarize(r, (m.model?.["modelBytes"] as number | undefined) ?? 0);
        const failed = r.rss.filter((l): l is { type: "rss"; path: RssPath; error: string } => "error" in l);
        return {
          tokens: String(r.tokens),
          "model on disk + 2 × cache": gb(x.modelBytes + 2 * x.fileBytes),
          "RSS after loading the model": gb(x.afterLoadRss.file),
          "peak RSS: file": gb(x.peakRss.file),
          "peak RSS: prepared": gb(x.peakRss.prepared),
          "peak RSS: bare run": gb(x.peakRss.bare),
          "peak RSS: prefill": gb(x.peakRss.prefill),
          "first run of a fresh session: file / prepared / bare": `${ms(x.freshRunS.file)} / ${ms(x.freshRunS.prepared)} / ${ms(x.freshRunS.bare)}`,
          ...(failed.length ? { failed: failed.map((f) => `${f.path}: ${f.error}`).join("; ").slice(0, 200) } : {}),
        };
      });
    if (rssRows.length) tables.push({ caption: `${m.label}: peak RSS per path (a fresh process each: load the model, run the path once)`, rows: rssRows });

    const phaseRows: TableRow[] = m.lengths.map((r) => {
      const p = r.phases;
      const total = Object.values(p).reduce((a, b) => a + b.median, 0);
      const pct = (x: Stat) => `${fmt(x.median * 1000, x.median < 0.01 ? 2 : 0)} ms (${fmt((x.median / total) * 100, 0)}%)`;
      return {
        tokens: String(r.tokens),
        "readKv (record holds: no SHA-256)": pct(p.readKv),
        "fs.readFile alone": ms(r.readFile.median),
        "dtype conversion": pct(p.convert),
        "seed tensors": pct(p.seed),
        "forward (one run of the session kvcdn loads)": pct(p.forward),
      };
    });
    if (phaseRows.length) tables.push({ caption: `${m.label}: where the warm file path goes (medians)`, rows: phaseRows });

    const allocatorRows: TableRow[] = m.lengths.flatMap((r) =>
      (r.allocator ?? []).map((a): TableRow =>
        "error" in a
          ? { tokens: String(r.tokens), "malloc thresholds": a.tuning, failed: a.error.slice(0, 200) }
          : {
              tokens: String(r.tokens),
              "malloc thresholds": `${a.tuning === "tuned" ? "kvcdn's (GLIBC_TUNABLES)" : "glibc defaults"}, seen as ${a.seen}`,
              "bare ORT run": ms(a.bare.median),
              prepared: ms(a.prepared.median),
              "file, warm": ms(a.fileWarm.median),
              "fs.readFile": ms(a.readFile.median),
              "system CPU per run: bare / prepared / file / read": [a.systemS.bare, a.systemS.prepared, a.systemS.fileWarm, a.systemS.readFile].map((x) => ms(x)).join(" / "),
            },
      ),
    );
    if (allocatorRows.length) tables.push({ caption: `${m.label}: the C allocator's part (a fresh process per setting, paths interleaved, medians)`, rows: allocatorRows });
    if (m.failure) notes.push(`${m.label}: the worker ended early (${m.failure}); lengths after the last row were not measured.`);
  }

  const headline = RESUME_PLAN[ctx.mode][0]!.label;
  const head = summaries.filter((s) => s.label === headline);
  const near4k = head.find((s) => s.tokens === 4096);
  const worst = (f: (s: LengthSummary) => number | null): number | null => {
    const v = head.map(f).filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  };
  const lengthsText = head.map((s) => s.tokens).join(", ") || "none";
  const fp32 = summaries.filter((s) => s.label === PLAIN_FP32.label);
  const regressions = fp32.flatMap((s) => {
    const prev = before.get(s.tokens);
    return prev ? [s.fileOverFloor / prev.overhead] : [];
  });
  const targets: TargetCheck[] = [
    checkTarget(`${headline}: prepared ÷ bare run, worst of ${lengthsText} tokens`, worst((s) => s.preparedOverBare), "<=", 1.15),
    checkTarget(`${headline}: file, warm ÷ (fs.readFile + bare run), worst of ${lengthsText}`, worst((s) => s.fileOverFloor), "<=", 1.3),
    checkTarget(`${headline}: file, cold ÷ (cold read + bare run), worst of ${lengthsText}`, worst((s) => s.coldOverFloor), "<=", 1.3, head.some((s) => s.coldOverFloor !== null) ? undefined : "cold page cache not measured"),
    checkTarget(`${headline}: speedup from a file at 4096 tokens (warm)`, near4k?.speedupFile, ">=", 40, near4k ? undefined : `4096 tokens not part of the ${ctx.mode} run`),
    checkTarget(`${headline}: speedup from a prepared handle at 4096 tokens`, near4k?.speedupPrepared, ">=", 50, near4k ? undefined : `4096 tokens not part of the ${ctx.mode} run`),
    checkTarget(
      `${headline}: peak RSS of a resume from a file ÷ (model + 2 × cache), worst of ${lengthsText}`,
      worst((s) => (s.peakRss.file !== undefined ? s.peakRss.file / (s.modelBytes + 2 * s.fileBytes) : null)),
      "<=",
      1,
      head.some((s) => s.peakRss.file !== undefined) ? undefined : "peak RSS not measured",
    ),
    checkTarget(
      `${headline}: what a resume from a file adds to the loaded session's RSS ÷ (2 × cache), worst of ${lengthsText}`,
      worst((s) => (s.peakRss.file !== undefined && s.afterLoadRss.file !== undefined ? (s.peakRss.file - s.afterLoadRss.file) / (2 * s.fileBytes) : null)),
      "<=",
      1,
      "the growth alone, without the session",
    ),
    checkTarget(
      `${headline}: peak RSS of a resume from a file ÷ that of the bare onnxruntime run over the same past, worst of ${lengthsText}`,
      worst((s) => (s.peakRss.file !== undefined && s.peakRss.bare !== undefined ? s.peakRss.file / s.peakRss.bare : null)),
      "<=",
      1.05,
      "the bare run is onnxruntime-node on the graph file as it is (presents bound to the past, handed back as copies); kvcdn runs its new-positions rewrite of it (docs/runtime.md#new-positions-graph); not a target of the issue",
    ),
    checkTarget(
      `${PLAIN_FP32.label}: warm file overhead ratio ÷ the previous full run's, worst of ${fp32.filter((s) => before.has(s.tokens)).map((s) => s.tokens).join(", ") || "none"}`,
      regressions.length ? Math.max(...regressions) : null,
      "<=",
      1,
      regressions.length ? "the previous run timed a 1-token question; the ratio (cached ÷ (read + forward)) is the like-for-like comparison" : "no previous full run to compare with",
    ),
  ];
  notes.push(
    `All paths of one length run in one process, interleaved with the prefills, and the table shows the load average per length (2 cores, shared with other work: above ~1 something else was competing). TTFT excludes loading the model (one session per model; its load time is in results.json). The question is ${RESUME_PLAN[ctx.mode][0]!.questionTokens} tokens.`,
    "Full prefill = `runPrefill` of context + question from an empty past (512-token pieces), then argmax. From a file = `resumeFromCache({ kv: file, questionTokens, maxNewTokens: 1 })`: sidecar + header check, read, the SHA-256 check unless the verification record of the first read still holds, dtype conversion (none for float16 past), seed, one forward of the question, argmax. Prepared = the same from a `prepareCache` handle made once per length. Bare = one `session.run` of the same question over the same past tensors, written on onnxruntime alone: the floor. On the builder graph (GroupQueryAttention) kvcdn's paths run its rewrite of the graph whose present outputs are only the positions a pass adds, written after the past in buffers with room (docs/runtime.md#new-positions-graph), and the file path reads the `.kv` straight into those buffers; the floor runs the graph file as it is, with each `present.*` output bound to its past buffer so the op writes the new positions in place (docs/runtime.md#in-place-past) and onnxruntime-node hands the presents back as copies. The fp32 plain graph can do neither and runs with separate present buffers.",
    "On the fp32 graph the step table's dtype conversion is `readKv` into float32 (what the file path does: F16 widened on two threads, docs/runtime.md#past-and-present) minus `readKv` as stored.",
    "The `.kv` files are F16 (what fp16/q4f16 sessions take without conversion; fp32 sessions widen them), written from the prefill's own state. Cold = the file's pages dropped with `dd iflag=nocache` before each run. Peak RSS = VmHWM (/proc/self/status) of a fresh process that loads the model and runs the path once; that run is also the \"first run of a fresh session\" column.",
    `Every process above runs with GLIBC_TUNABLES=${MODEL_MALLOC_TUNABLES}, as the CLI's model commands do (docs/runtime.md#memory-allocator): onnxruntime-node returns every output as a fresh cache-sized array, and with glibc's default thresholds each run maps and unmaps it (page faults, zeroing). The allocator table times the same paths, the floor included, in fresh processes with glibc's defaults and with those settings.`,
    "Random weights: the cached first token equals the prefill's unless F16 rounding of the cache flips a near-tie (`firstTokenAgrees` in results.json); speed does not depend on the weights.",
  );
  if (ctx.mode !== "full") notes.push(`${ctx.mode} mode: ${RESUME_PLAN[ctx.mode].map((p) => `${p.label} at ${p.lengths.join(", ")}`).join("; ")} tokens only.`);
  return {
    id: "resume",
    title: "Resume vs prefill",
    durationS: (performance.now() - t0) / 1000,
    tables,
    targets,
    notes,
    data: { models, summaries, previousFp32: Object.fromEntries(before) },
  };
}

function describeModel(model: Record<string, unknown> | undefined): string {
  if (!model) return "model not loaded";
  return `${model["numLayers"]} layers, ${model["numKvHeads"]} KV heads × ${model["headDim"]}, ${model["pastType"]} past, ${fmt((model["modelBytes"] as number) / GB, 2)} GB on disk; session load ${fmt(model["loadS"] as number, 1)} s`;
}

export const bench: BenchModule = { id: "resume", title: "Resume vs prefill", run };
