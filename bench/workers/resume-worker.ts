/**
 * Resume vs prefill on one fixture shape, in its own process (an onnxruntime session of the qwen3-0.6b fixture holds
 * several GiB; if the OOM killer or the time cap ends this process, the lengths already measured survive because each
 * is printed as soon as it is done).
 *
 *   node resume-worker.mjs '<json options>'   (bundled by bench/lib/run-worker.ts)
 *
 * Prints JSON lines: `{ type: "model", … }` once, then `{ type: "length", … }` or `{ type: "skip", … }` per length.
 */
import { readFile, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Tensor } from "onnxruntime-node";
import { readKv, sidecarPath, sliceTokens, writeKv, type KvCache } from "../../src/kv/index.js";
import { argmax, castForModel, emptyPast, kvToPast, loadModel, pastToKv, resumeFromCache, runForward, runPrefill, type PastState } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { dropFileCache } from "../lib/run-command.js";
import { stat } from "../lib/stats.js";

/** What the runner asks for. */
export interface ResumeWorkerOptions {
  shape: "tiny" | "qwen3-0.6b";
  lengths: number[];
  /** Prefill repetitions per length (same order as `lengths`; the last value repeats). */
  prefillReps: number[];
  /** Repetitions of the cheap measurements (cached TTFT, decode step, file read). */
  cachedReps: number;
  /** Cold-cache repetitions of the cached path (0 to skip). */
  coldReps: number;
  /** Directory for the `.kv` files. */
  dir: string;
  /** Stop starting new lengths when their predicted prefill time would pass this many seconds from the start. */
  budgetS: number;
}

const options = JSON.parse(process.argv[2] ?? "{}") as ResumeWorkerOptions;
const emit = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const log = (text: string): void => void process.stderr.write(`[resume ${options.shape}] ${text}\n`);
const now = (): number => performance.now() / 1000;
const started = now();

/** Context text, tokenized once and cycled to each length (kvcdn-cli's benchmark does the same with a file). */
const CONTEXT_TEXT =
  "KV caches let a model skip the prefill of a context it has already read. A producer runs the context once, saves " +
  "the attention keys and values of every layer, and uploads them; consumers download the file and continue from it. " +
  "The time to first token then depends on reading and converting the cache, not on the length of the context. ";

function disposePast(past: PastState | undefined): void {
  if (!past) return;
  for (const t of Object.values(past.tensors)) (t as Tensor & { dispose?: () => void }).dispose?.();
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ s: number; value: T }> {
  const t0 = now();
  const value = await fn();
  return { s: now() - t0, value };
}

const dir = await ensureFixtureModel({ shape: options.shape, seed: 0 });
const load = await timed(() => loadModel({ dir }));
const model = load.value;
const textIds = model.tokenizer.encode(CONTEXT_TEXT, { addSpecialTokens: true });
// A one-token question, so the cached path is exactly "load the cache + one decode step" (kvcdn-cli's kv_attn_s).
const question = [model.tokenizer.encode("\n\n", { addSpecialTokens: false })[0] ?? 0];
const contextIds = (n: number): number[] => Array.from({ length: n }, (_, i) => textIds[i % textIds.length]!);
emit({
  type: "model",
  shape: options.shape,
  dir,
  loadS: load.s,
  numLayers: model.numLayers,
  numKvHeads: model.numKvHeads,
  headDim: model.headDim,
  pastType: model.io.pastType,
  questionTokens: question,
});

// Warm-up (untimed): JIT, onnxruntime's arena and thread pool.
{
  const out = await runPrefill({ model, inputIds: contextIds(16), past: await emptyPast(model) });
  const step = await runForward({ model, inputIds: question, past: out.present });
  disposePast(out.present);
  disposePast(step.present);
}

let previous: { tokens: number; prefillS: number } | undefined;
for (let li = 0; li < options.lengths.length; li++) {
  const tokens = options.lengths[li]!;
  let reps = options.prefillReps[Math.min(li, options.prefillReps.length - 1)] ?? 1;
  const remaining = options.budgetS - (now() - started);
  if (previous) {
    // Prefill grows a little faster than linearly (attention is quadratic): predict with exponent 1.3.
    const predicted = previous.prefillS * (tokens / previous.tokens) ** 1.3;
    if (predicted > remaining) {
      emit({ type: "skip", shape: options.shape, tokens, reason: `predicted prefill ${predicted.toFixed(0)} s exceeds the remaining budget of ${Math.max(0, remaining).toFixed(0)} s` });
      continue;
    }
    reps = Math.max(1, Math.min(reps, Math.floor(remaining / (predicted * 1.5))));
  }
  log(`${tokens} tokens: prefill × ${reps}`);
  const ids = contextIds(tokens);
  const file = join(options.dir, `${options.shape}-${tokens}.kv`);

  const loadAtStart = loadavg()[0]!;

  // Full prefill of context + question, then the first token.
  const prefillS: number[] = [];
  let prefillToken = -1;
  const prefill = async (keep: boolean): Promise<KvCache | undefined> => {
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

  // The producer's file: F16 on disk (half the bytes of F32), with fingerprint and tokens in the sidecar.
  const written = await writeKv(file, produced, {
    dtype: "F16",
    sidecar: {
      model_name: model.modelId,
      tokens: ids,
      fingerprint: { ...model.fingerprint },
      producer: { name: "kvcdn-bench", version: "0" },
    },
  });
  // kvcdn-cli's kv_attn_s: one decode step over an in-memory cache already in the session's dtype (no I/O).
  const inMemory = await kvToPast(model, castForModel(model, produced));

  // The real load path, warm page cache: read, verify, convert, seed, first token (resumeFromCache, public API).
  const resume = async (): Promise<{ s: number; seedS: number; token: number }> => {
    const t0 = now();
    const result = await resumeFromCache({ model, kv: file, questionTokens: question, maxNewTokens: 1, ignoreEos: true }).collect();
    return { s: now() - t0, seedS: result.timings.seedMs / 1000, token: result.tokens[0] ?? -1 };
  };
  const decodeS: number[] = [];
  const readS: number[] = [];
  const cached: Array<{ s: number; seedS: number; token: number }> = [];
  // The remaining prefills alternate with the cheap measurements, so a burst of load from elsewhere on the machine
  // hits both sides of the comparison instead of only one.
  for (let r = 0; r < Math.max(reps - 1, options.cachedReps); r++) {
    if (r < reps - 1) await prefill(false);
    if (r >= options.cachedReps) continue;
    const step = await timed(() => runForward({ model, inputIds: question, past: inMemory }));
    argmax(step.value.logits);
    decodeS.push(step.s);
    disposePast(step.value.present);
    readS.push((await timed(() => readFile(file))).s);
    cached.push(await resume());
  }
  previous = { tokens, prefillS: stat(prefillS, "s").median };

  // Where the cached path's time goes: the same steps as resumeFromCache (loadKvSource), timed one by one.
  const phases: Record<string, number[]> = { readKv: [], convert: [], seed: [], forward: [] };
  for (let r = 0; r < Math.min(3, options.cachedReps); r++) {
    // readKv: sidecar, header, read with the SHA-256 check against the sidecar, parse into zero-copy F16 views.
    const read = await timed(() => readKv(file));
    const converted = await timed(() => castForModel(model, read.value.cache));
    const seeded = await timed(() => kvToPast(model, converted.value));
    const forward = await timed(() => runForward({ model, inputIds: question, past: seeded.value }));
    argmax(forward.value.logits);
    disposePast(forward.value.present);
    phases["readKv"]!.push(read.s);
    phases["convert"]!.push(converted.s);
    phases["seed"]!.push(seeded.s);
    phases["forward"]!.push(forward.s);
  }

  // Cold page cache: the file's pages dropped before each run (the disk read is then real).
  const cold: Array<{ s: number; seedS: number; token: number }> = [];
  const coldReadS: number[] = [];
  let coldSupported = options.coldReps > 0;
  for (let r = 0; r < options.coldReps && coldSupported; r++) {
    coldSupported = dropFileCache(file);
    if (!coldSupported) break;
    coldReadS.push((await timed(() => readFile(file))).s);
    dropFileCache(file);
    cold.push(await resume());
  }
  disposePast(inMemory);

  emit({
    type: "length",
    shape: options.shape,
    tokens,
    fileBytes: written.nbytes,
    prefill: stat(prefillS, "s"),
    decodeStep: stat(decodeS, "s"),
    readFile: stat(readS, "s"),
    cachedWarm: stat(cached.map((c) => c.s), "s"),
    seedWarm: stat(cached.map((c) => c.seedS), "s"),
    cachedCold: cold.length ? stat(cold.map((c) => c.s), "s") : null,
    readFileCold: coldReadS.length ? stat(coldReadS, "s") : null,
    phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, stat(v, "s")])),
    // F16 storage rounds the cache, so the cached path's first token may legitimately differ on random weights.
    firstTokenAgrees: cached.every((c) => c.token === prefillToken),
    // 1-minute load average when this length started and ended (2 cores: above ~1 means other work was competing).
    loadAverage: [loadAtStart, loadavg()[0]!],
    elapsedS: now() - started,
  });
  await rm(file, { force: true });
  await rm(sidecarPath(file), { force: true });
}
await model.dispose();
