/**
 * Resume vs prefill on one fixture model, in its own process (an onnxruntime session of a Qwen3-0.6B-sized fixture
 * holds GiBs; if the OOM killer or the time cap ends this process, the lengths already measured survive because each
 * is printed as soon as it is done).
 *
 *   node resume-worker.mjs '<json options>'            the timing run (bundled by bench/lib/run-worker.ts)
 *   node resume-worker.mjs --rss '<json RssRequest>'   one path once in a fresh process, for its peak RSS
 *
 * Prints JSON lines: `{ type: "model", … }` once, then `{ type: "length", … }` or `{ type: "skip", … }` per length.
 * Every path of one length is measured in the same process, interleaved, so load from elsewhere hits all of them:
 * full prefill, from the file (first read with its SHA-256 check; warm page cache with the verification record the
 * first read left; cold page cache), from a `prepareCache` handle, and the floor: a bare `session.run` of the same
 * question over the same past, beside `fs.readFile` of the file. Peak RSS of each path comes from a child process
 * per path (this script with `--rss`), since a process's high-water mark cannot be reset.
 */
import { spawnSync } from "node:child_process";
import { readFile, rm, stat as statFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Tensor } from "onnxruntime-node";
import { f16ToF32 } from "../../src/kv/float16.js";
import { readKv, sidecarPath, sliceTokens, writeKv, type KvCache } from "../../src/kv/index.js";
import { verificationRecordPath } from "../../src/kv/verification-record.js";
import { readKvInto } from "../../src/kv/read-kv-into.js";
import { MODEL_MALLOC_TUNABLES, mallocTuning } from "../../src/onnx/malloc-tunables.js";
import { allocateRoomyPast, pastTargets, type RoomyPast } from "../../src/onnx/past-buffers.js";
import {
  argmax,
  castForModel,
  emptyPast,
  importOnnxRuntime,
  kvDtypeFor,
  kvToPast,
  loadModel,
  pastToKv,
  prepareCache,
  resumeFromCache,
  runPrefill,
  type ModelDtype,
  type OnnxModel,
  type PastState,
} from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { dropFileCache } from "../lib/run-command.js";
import { stat } from "../lib/stats.js";
import type { Stat } from "../lib/types.js";
import { peakRssBytes } from "../lib/peak-rss.js";

/** Which fixture to build and which of its ONNX files to load. */
export interface FixtureSpec {
  /** Label in the tables (`q4f16 builder`, `fp32 plain`). */
  label: string;
  /** `ensureFixtureModel` options (shape, seed, and for builder layouts `layout` + `variants`). */
  fixture: Record<string, unknown>;
  /** The `loadModel` dtype (which `onnx/model*.onnx`). */
  dtype: ModelDtype;
}

/** What the runner asks for. */
export interface ResumeWorkerOptions extends FixtureSpec {
  lengths: number[];
  /** Prefill repetitions per length (same order as `lengths`; the last value repeats). */
  prefillReps: number[];
  /** Repetitions of the cheap measurements (cached paths, bare run, file read). */
  cachedReps: number;
  /** Cold-cache repetitions of the file path (0 to skip). */
  coldReps: number;
  /** Question length in tokens (the measurements use 15). */
  questionTokens: number;
  /** Paths whose peak RSS is measured in child processes, at every length (prefill: at the longest only). */
  rssPaths: RssPath[];
  /** Directory for the `.kv` files. */
  dir: string;
  /** Stop starting new lengths when their predicted prefill time would pass this many seconds from the start. */
  budgetS: number;
  /** Also stop starting new lengths that would end after this time (ms since the epoch). */
  deadlineMs?: number;
  /** At these lengths, also time the cached paths and the floor under glibc's default and tuned malloc thresholds. */
  allocatorAt?: number[];
}

/** The paths whose peak RSS is measured. */
export type RssPath = "prefill" | "file" | "prepared" | "bare";

interface RssRequest extends FixtureSpec {
  path: RssPath;
  tokens: number;
  questionTokens: number;
  file: string;
}

interface AllocatorRequest extends FixtureSpec {
  tuning: "default" | "tuned";
  file: string;
  questionTokens: number;
  reps: number;
}

/** What `--allocator` prints: the cached paths and the floor in a fresh process under one malloc setting (medians). */
export interface AllocatorResult {
  type: "allocator";
  tuning: "default" | "tuned";
  /** What the process saw (`mallocTuning()`): proves the environment took effect. */
  seen: string;
  bare: Stat;
  prepared: Stat;
  fileWarm: Stat;
  readFile: Stat;
  /** System CPU seconds per run of each path (page faults, mapping and unmapping), medians. */
  systemS: { bare: number; prepared: number; fileWarm: number; readFile: number };
}

/** What `--rss` prints. */
export interface RssResult {
  type: "rss";
  path: RssPath;
  /** Peak RSS of the whole process (bytes). */
  maxRssBytes: number;
  /** Peak RSS right after loading the model, before the path ran (bytes). */
  afterLoadRssBytes: number;
  /** Seconds of the path's one run: the first long run of a fresh session. */
  firstRunS: number;
}

const emit = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const now = (): number => performance.now() / 1000;

/** Context text, tokenized once and cycled to each length (kvcdn-cli's benchmark does the same with a file). */
const CONTEXT_TEXT =
  "KV caches let a model skip the prefill of a context it has already read. A producer runs the context once, saves " +
  "the attention keys and values of every layer, and uploads them; consumers download the file and continue from it. " +
  "The time to first token then depends on reading and converting the cache, not on the length of the context. ";
const QUESTION_TEXT = "\n\nQ: Which step decides the time to the first token, and why does it not grow?\nA:";

function disposePast(past: PastState | undefined): void {
  if (!past) return;
  for (const t of Object.values(past.tensors)) (t as Tensor & { dispose?: () => void }).dispose?.();
}

/**
 * Collect garbage before a timed run when the worker has `--expose-gc` (the runner passes it): every path leaves a
 * cache-sized output behind, and without this whichever path runs next pays for freeing it.
 */
const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => {});

/** Wall seconds of `fn` (after a collection), and the system CPU seconds the process spent meanwhile. */
async function timed<T>(fn: () => Promise<T> | T): Promise<{ s: number; systemS: number; value: T }> {
  collect();
  const cpu = process.cpuUsage();
  const t0 = now();
  const value = await fn();
  return { s: now() - t0, systemS: process.cpuUsage(cpu).system / 1e6, value };
}

async function openModel(spec: FixtureSpec, options: { asIs?: boolean } = {}): Promise<{ model: OnnxModel; loadS: number; modelBytes: number }> {
  const dir = await ensureFixtureModel(spec.fixture as Parameters<typeof ensureFixtureModel>[0]);
  const load = await timed(() => loadModel({ dir, dtype: spec.dtype, newPositionsGraph: options.asIs !== true }));
  const model = load.value;
  const external = await statFile(`${model.onnxPath}_data`).then((s) => s.size, () => 0);
  return { model, loadS: load.s, modelBytes: (await statFile(model.onnxPath)).size + external };
}

/**
 * The session the floor runs: the graph file as it is. Where kvcdn runs its new-positions rewrite of the graph
 * (docs/runtime.md#new-positions-graph), a second session of the original; otherwise `model` itself.
 */
async function floorOf(spec: FixtureSpec, model: OnnxModel): Promise<OnnxModel> {
  return model.io.newPositionsOnly ? (await openModel(spec, { asIs: true })).model : model;
}

function idsFor(model: OnnxModel, questionLength: number) {
  const textIds = model.tokenizer.encode(CONTEXT_TEXT, { addSpecialTokens: true });
  const q = model.tokenizer.encode(QUESTION_TEXT, { addSpecialTokens: false });
  const question = Array.from({ length: questionLength }, (_, i) => q[i % q.length]!);
  const contextIds = (n: number): number[] => Array.from({ length: n }, (_, i) => textIds[i % textIds.length]!);
  return { question, contextIds };
}

/**
 * The floor: one `session.run` of the question over a past already in session tensors, written on onnxruntime
 * alone (no kvcdn code on the timed path), then argmax of the last position.
 */
async function bareRun(model: OnnxModel, past: PastState, question: readonly number[]): Promise<number> {
  const ort = await importOnnxRuntime();
  const n = question.length;
  const total = past.length + n;
  const feeds: Record<string, Tensor> = {
    ...past.tensors,
    input_ids: new ort.Tensor("int64", BigInt64Array.from(question, BigInt), [1, n]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
  };
  if (model.io.hasPositionIds) feeds["position_ids"] = new ort.Tensor("int64", BigInt64Array.from(question, (_, i) => BigInt(past.length + i)), [1, n]);
  if (model.io.hasNumLogitsToKeep) feeds["num_logits_to_keep"] = new ort.Tensor("int64", new BigInt64Array([1n]), []);
  // On graphs that write their past in place, the floor binds every present.* output to its past buffer (the
  // onnxruntime way to run GroupQueryAttention on one buffer). A new-positions session's outputs are small.
  const fetches: Record<string, Tensor | null> = { logits: null };
  if (past.capacity !== undefined && !model.io.newPositionsOnly) {
    for (const layer of model.io.layers) {
      fetches[layer.presentKey] = past.tensors[layer.pastKey]!;
      fetches[layer.presentValue] = past.tensors[layer.pastValue]!;
    }
  } else for (const name of model.session.outputNames) fetches[name] = null;
  const out = await model.session.run(feeds, fetches as Record<string, Tensor>);
  const logits = out["logits"]!;
  const vocab = logits.dims[logits.dims.length - 1]!;
  const last = (logits.data as Float32Array | Uint16Array).subarray(logits.size - vocab);
  const token = argmax(last instanceof Float32Array ? last : f16ToF32(last));
  for (const t of Object.values(out)) t.dispose();
  return token;
}

/** The floor's past: plain tensors, or on graphs that write their past in place, buffers with room read straight from the file. */
async function pastFromFile(model: OnnxModel, file: string): Promise<PastState> {
  if (!model.io.pastInPlace) return kvToPast(model, castForModel(model, (await readKv(file, { dtype: kvDtypeFor(model.io.pastType) })).cache));
  let past: RoomyPast | undefined;
  const { layout } = await readKvInto(file, {
    dtype: kvDtypeFor(model.io.pastType),
    allocate: async (l) => pastTargets(model, (past = await allocateRoomyPast(model, l.numTokens + ROOM))),
  });
  return { ...past!, length: layout.numTokens };
}

/** Room after the cache in the floor's buffers: the question and a few tokens. */
const ROOM = 64;

async function rssMain(request: RssRequest): Promise<void> {
  const { model } = await openModel(request, { asIs: request.path === "bare" });
  const { question, contextIds } = idsFor(model, request.questionTokens);
  const afterLoadRssBytes = peakRssBytes();
  const t0 = now();
  if (request.path === "prefill") {
    const out = await runPrefill({ model, inputIds: [...contextIds(request.tokens), ...question], past: await emptyPast(model) });
    argmax(out.logits);
  } else if (request.path === "file") {
    await resumeFromCache({ model, kv: request.file, questionTokens: question, maxNewTokens: 1, ignoreEos: true }).collect();
  } else if (request.path === "prepared") {
    const ctx = await prepareCache(model, request.file);
    await resumeFromCache({ model, kv: ctx, questionTokens: question, maxNewTokens: 1, ignoreEos: true }).collect();
  } else {
    await bareRun(model, await pastFromFile(model, request.file), question);
  }
  emit({ type: "rss", path: request.path, maxRssBytes: peakRssBytes(), afterLoadRssBytes, firstRunS: now() - t0 } satisfies RssResult);
  await model.dispose();
}

/** The cached paths and the floor, interleaved, in a process started with one malloc setting (`--allocator`). */
async function allocatorMain(request: AllocatorRequest): Promise<void> {
  const { model } = await openModel(request);
  const floor = await floorOf(request, model);
  const { question } = idsFor(model, request.questionTokens);
  const floorPast = await pastFromFile(floor, request.file);
  await bareRun(floor, floorPast, question);
  const ctx = await prepareCache(model, request.file);
  await resumeFromCache({ model, kv: request.file, questionTokens: question, maxNewTokens: 1, ignoreEos: true }).collect();
  const wall: Record<keyof AllocatorResult["systemS"], number[]> = { bare: [], prepared: [], fileWarm: [], readFile: [] };
  const system: Record<keyof AllocatorResult["systemS"], number[]> = { bare: [], prepared: [], fileWarm: [], readFile: [] };
  const time = async (key: keyof AllocatorResult["systemS"], fn: () => Promise<unknown>): Promise<void> => {
    const t = await timed(fn);
    wall[key].push(t.s);
    system[key].push(t.systemS);
  };
  const resume = (kv: string | typeof ctx) => resumeFromCache({ model, kv, questionTokens: question, maxNewTokens: 1, ignoreEos: true }).collect();
  for (let r = 0; r < request.reps; r++) {
    await time("bare", () => bareRun(floor, floorPast, question));
    await time("prepared", () => resume(ctx));
    await time("readFile", () => readFile(request.file));
    await time("fileWarm", () => resume(request.file));
  }
  const median = (v: number[]): number => stat(v, "s").median;
  emit({
    type: "allocator",
    tuning: request.tuning,
    seen: mallocTuning(),
    bare: stat(wall.bare, "s"),
    prepared: stat(wall.prepared, "s"),
    fileWarm: stat(wall.fileWarm, "s"),
    readFile: stat(wall.readFile, "s"),
    systemS: { bare: median(system.bare), prepared: median(system.prepared), fileWarm: median(system.fileWarm), readFile: median(system.readFile) },
  } satisfies AllocatorResult);
  ctx.dispose();
  if (floor !== model) await floor.dispose();
  await model.dispose();
}

/** Run `--allocator` in a fresh process whose environment has glibc's default thresholds, or kvcdn's. */
function measureAllocator(request: AllocatorRequest): AllocatorResult | { type: "allocator"; tuning: string; error: string } {
  const env = { ...process.env };
  delete env["GLIBC_TUNABLES"];
  if (request.tuning === "tuned") env["GLIBC_TUNABLES"] = MODEL_MALLOC_TUNABLES;
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, "--allocator", JSON.stringify(request)], { encoding: "utf8", maxBuffer: 1 << 24, env });
  const line = r.stdout.split("\n").find((l) => l.startsWith('{"type":"allocator"'));
  if (r.status !== 0 || line === undefined) return { type: "allocator", tuning: request.tuning, error: `exit ${r.status ?? r.signal}: ${r.stderr.trim().slice(-300)}` };
  return JSON.parse(line) as AllocatorResult;
}

function measureRss(request: RssRequest): RssResult | { type: "rss"; path: RssPath; error: string } {
  const r = spawnSync(process.execPath, [process.argv[1]!, "--rss", JSON.stringify(request)], { encoding: "utf8", maxBuffer: 1 << 24 });
  const line = r.stdout.split("\n").find((l) => l.startsWith('{"type":"rss"'));
  if (r.status !== 0 || line === undefined) return { type: "rss", path: request.path, error: `exit ${r.status ?? r.signal}: ${r.stderr.trim().slice(-300)}` };
  return JSON.parse(line) as RssResult;
}

async function timingMain(options: ResumeWorkerOptions): Promise<void> {
  const log = (text: string): void => void process.stderr.write(`[resume ${options.label}] ${text}\n`);
  const started = now();
  const { model, loadS, modelBytes } = await openModel(options);
  const floor = await floorOf(options, model);
  const { question, contextIds } = idsFor(model, options.questionTokens);
  emit({
    type: "model",
    label: options.label,
    dtype: options.dtype,
    onnxPath: model.onnxPath,
    modelBytes,
    loadS,
    numLayers: model.numLayers,
    numKvHeads: model.numKvHeads,
    headDim: model.headDim,
    pastType: model.io.pastType,
    questionTokens: question.length,
  });

  // Warm-up (untimed): JIT, onnxruntime's thread pool and kernels.
  {
    const out = await runPrefill({ model, inputIds: [...contextIds(16), ...question], past: await emptyPast(model) });
    disposePast(out.present);
  }

  const remainingS = (): number =>
    Math.min(options.budgetS - (now() - started), options.deadlineMs === undefined ? Infinity : (options.deadlineMs - Date.now()) / 1000);
  let previous: { tokens: number; prefillS: number } | undefined;
  for (let li = 0; li < options.lengths.length; li++) {
    const tokens = options.lengths[li]!;
    let reps = options.prefillReps[Math.min(li, options.prefillReps.length - 1)] ?? 1;
    const remaining = remainingS();
    const predicted = previous ? previous.prefillS * (tokens / previous.tokens) ** 1.3 : undefined;
    if (predicted !== undefined) {
      // Prefill grows a little faster than linearly (attention is quadratic): predict with exponent 1.3. One prefill
      // plus the cheap paths, cold runs and RSS processes is about two prefills' time.
      if (predicted * 2 > remaining) {
        emit({ type: "skip", label: options.label, tokens, reason: `predicted prefill ${predicted.toFixed(0)} s does not fit the remaining budget of ${Math.max(0, remaining).toFixed(0)} s` });
        continue;
      }
      reps = Math.max(1, Math.min(reps, Math.floor(remaining / (predicted * 2.5))));
    }
    log(`${tokens} tokens: prefill × ${reps}`);
    const ids = contextIds(tokens);
    const file = join(options.dir, `${options.dtype}-${tokens}.kv`);
    const loadAtStart = loadavg()[0]!;

    // Full prefill of context + question, then the first token.
    const prefillS: number[] = [];
    let prefillToken = -1;
    const prefill = async (keep: boolean): Promise<KvCache | undefined> => {
      collect();
      const t0 = now();
      const out = await runPrefill({ model, inputIds: [...ids, ...question], past: await emptyPast(model) });
      prefillToken = argmax(out.logits);
      prefillS.push(now() - t0);
      // Causal attention: the first `tokens` positions of the state are exactly the context's cache.
      const produced = keep ? sliceTokens(pastToKv(model, out.present), tokens) : undefined;
      disposePast(out.present);
      return produced;
    };
    const produced = (await prefill(true))!;
    // The producer's file: F16 on disk (what fp16/q4f16 sessions use; half of F32), fingerprint and tokens recorded.
    const written = await writeKv(file, produced, {
      dtype: "F16",
      sidecar: { model_name: model.modelId, tokens: ids, fingerprint: { ...model.fingerprint }, producer: { name: "kvcdn-bench", version: "0" } },
    });

    const resume = async (kv: Parameters<typeof resumeFromCache>[0]["kv"]): Promise<{ s: number; token: number }> => {
      collect();
      const t0 = now();
      const result = await resumeFromCache({ model, kv, questionTokens: question, maxNewTokens: 1, ignoreEos: true }).collect();
      return { s: now() - t0, token: result.tokens[0] ?? -1 };
    };
    // The floor's past: the file's tensors in the session's dtype (built untimed), and one untimed run so the first
    // run at this length (fresh output buffers of this size) is not charged to whichever path comes first.
    const floorPast = await pastFromFile(floor, file);
    await bareRun(floor, floorPast, question);
    // First read: the SHA-256 check against the sidecar, which then records the verification for later reads.
    await rm(verificationRecordPath(file), { force: true });
    const firstRead = await resume(file);
    const ctx = await timed(() => prepareCache(model, file));

    const bareS: number[] = [];
    const preparedS: number[] = [];
    const readS: number[] = [];
    const warm: Array<{ s: number; token: number }> = [];
    const prepared: Array<{ s: number; token: number }> = [];
    // The remaining prefills alternate with the cheap measurements, so a burst of load from elsewhere on the machine
    // hits both sides of the comparison instead of only one.
    for (let r = 0; r < Math.max(reps - 1, options.cachedReps); r++) {
      if (r < reps - 1) await prefill(false);
      if (r >= options.cachedReps) continue;
      bareS.push((await timed(() => bareRun(floor, floorPast, question))).s);
      const p = await resume(ctx.value);
      prepared.push(p);
      preparedS.push(p.s);
      readS.push((await timed(() => readFile(file))).s);
      warm.push(await resume(file));
    }
    previous = { tokens, prefillS: stat(prefillS, "s").median };

    // Cold page cache: the file's pages dropped before each run (the disk read is then real).
    const cold: number[] = [];
    const coldReadS: number[] = [];
    let coldSupported = options.coldReps > 0;
    for (let r = 0; r < options.coldReps && coldSupported; r++) {
      coldSupported = dropFileCache(file);
      if (!coldSupported) break;
      coldReadS.push((await timed(() => readFile(file))).s);
      dropFileCache(file);
      cold.push((await resume(file)).s);
    }

    // Where the warm file path's time goes: the steps of resumeFromCache (loadKvSource, then the forward). On graphs
    // that write their past in place the file is read straight into the session's buffers: all of it is "readKv".
    const phases: Record<string, number[]> = { readKv: [], convert: [], seed: [], forward: [] };
    for (let r = 0; r < Math.min(3, options.cachedReps) && model.io.pastInPlace; r++) {
      const read = await timed(() => pastFromFile(model, file));
      const forward = await timed(() => bareRun(model, read.value, question));
      phases["readKv"]!.push(read.s);
      phases["convert"]!.push(0);
      phases["seed"]!.push(0);
      phases["forward"]!.push(forward.s);
    }
    for (let r = 0; r < Math.min(3, options.cachedReps) && !model.io.pastInPlace; r++) {
      // The conversion is inside readKv (it widens on two threads while it holds the file): its cost is readKv into
      // the session's dtype minus readKv as stored.
      const read = await timed(async () => void (await readKv(file)));
      const wide = await timed(() => readKv(file, { dtype: kvDtypeFor(model.io.pastType) }));
      const seeded = await timed(() => kvToPast(model, castForModel(model, wide.value.cache)));
      const forward = await timed(() => bareRun(model, seeded.value, question));
      phases["readKv"]!.push(read.s);
      phases["convert"]!.push(Math.max(0, wide.s - read.s));
      phases["seed"]!.push(seeded.s);
      phases["forward"]!.push(forward.s);
    }
    ctx.value.dispose();
    disposePast(floorPast);
    const loadAtEnd = loadavg()[0]!;

    const rss: Array<RssResult | { type: "rss"; path: RssPath; error: string }> = [];
    {
      // Prefill's peak only at the longest length measured (the last one, or the next will not fit): it is one more
      // full prefill in a fresh process.
      const next = options.lengths[li + 1];
      const nextPrefillS = next === undefined ? Infinity : previous.prefillS * (next / tokens) ** 1.3;
      const longest = next === undefined || nextPrefillS * 2 + previous.prefillS > remainingS();
      const paths = options.rssPaths.filter((p) => p !== "prefill" || longest);
      for (const path of paths) {
        log(`${tokens} tokens: peak RSS of ${path}`);
        rss.push(measureRss({ label: options.label, fixture: options.fixture, dtype: options.dtype, path, tokens, questionTokens: question.length, file }));
      }
    }

    const allocator: Array<ReturnType<typeof measureAllocator>> = [];
    if (options.allocatorAt?.includes(tokens)) {
      for (const tuning of ["default", "tuned"] as const) {
        log(`${tokens} tokens: cached paths with glibc's ${tuning} malloc thresholds`);
        allocator.push(measureAllocator({ label: options.label, fixture: options.fixture, dtype: options.dtype, tuning, file, questionTokens: question.length, reps: options.cachedReps }));
      }
    }

    emit({
      type: "length",
      allocator,
      label: options.label,
      tokens,
      fileBytes: written.nbytes,
      prefill: stat(prefillS, "s"),
      fileFirst: stat([firstRead.s], "s"),
      fileWarm: stat(warm.map((c) => c.s), "s"),
      fileCold: cold.length ? stat(cold, "s") : null,
      prepare: stat([ctx.s], "s"),
      prepared: stat(preparedS, "s"),
      bare: stat(bareS, "s"),
      readFile: stat(readS, "s"),
      readFileCold: coldReadS.length ? stat(coldReadS, "s") : null,
      phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, stat(v, "s")])),
      rss,
      // F16 storage rounds the cache, so the cached paths' first token may legitimately differ on random weights.
      firstTokenAgrees: [...warm, ...prepared].every((c) => c.token === prefillToken),
      // 1-minute load average when this length started and ended (2 cores: above ~1 means other work was competing).
      loadAverage: [loadAtStart, loadAtEnd],
      elapsedS: now() - started,
    });
    for (const path of [file, sidecarPath(file), verificationRecordPath(file)]) await rm(path, { force: true });
  }
  if (floor !== model) await floor.dispose();
  await model.dispose();
}

if (process.argv[2] === "--rss") await rssMain(JSON.parse(process.argv[3] ?? "{}") as RssRequest);
else if (process.argv[2] === "--allocator") await allocatorMain(JSON.parse(process.argv[3] ?? "{}") as AllocatorRequest);
else await timingMain(JSON.parse(process.argv[2] ?? "{}") as ResumeWorkerOptions);
