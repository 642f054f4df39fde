/**
 * First vs second use of a reference through the cache directory, in its own process: a local store in-process
 * (its request log proves the second use sends nothing), one fixture model, one uploaded cache.
 *
 *   node cache-dir-worker.mjs '<json options>'   (bundled by bench/lib/run-worker.ts)
 *
 * Prints JSON lines: `{ type: "setup", … }` once, then `{ type: "rep", … }` per repetition.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createKvcdnClient } from "../../src/index.js";
import { writeKv, sliceTokens } from "../../src/kv/index.js";
import { startLocalStore } from "../../src/local-store/index.js";
import { emptyPast, loadModel, pastToKv, resumeFromCache, runPrefill } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";

/** What the runner asks for. */
export interface CacheDirWorkerOptions {
  shape: "tiny" | "qwen3-0.6b";
  /** `builder`: the onnxruntime-genai model-builder graph in its q4f16 variant (what onnx-community exports ship). */
  layout: "plain" | "builder";
  tokens: number;
  reps: number;
  /** Scratch directory (the `.kv`, the store's data, the cache directories). */
  dir: string;
}

const options = JSON.parse(process.argv[2] ?? "{}") as CacheDirWorkerOptions;
const emit = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
const log = (text: string): void => void process.stderr.write(`[cache-dir ${options.shape} ${options.layout}] ${text}\n`);
const now = (): number => performance.now() / 1000;

const builder = options.layout === "builder";
const dir = await ensureFixtureModel({ shape: options.shape, seed: 0, ...(builder ? { layout: "builder" as const, variants: "q4f16" as const } : {}) });
const model = await loadModel({ dir, ...(builder ? { dtype: "q4f16" as const } : {}) });
const text = model.tokenizer.encode("A shared context, cached once and fetched by reference by every consumer. ", { addSpecialTokens: true });
const ids = Array.from({ length: options.tokens }, (_, i) => text[i % text.length]!);
const question = [model.tokenizer.encode("\n\n", { addSpecialTokens: false })[0] ?? 0];

log(`prefill of ${options.tokens} tokens to make the cache`);
const out = await runPrefill({ model, inputIds: ids, past: await emptyPast(model) });
const file = join(options.dir, "ctx.kv");
const written = await writeKv(file, sliceTokens(pastToKv(model, out.present), options.tokens), {
  dtype: "F16",
  sidecar: { model_name: model.modelId, tokens: ids, fingerprint: { ...model.fingerprint } },
});

const store = await startLocalStore({ dataDir: join(options.dir, "store") });
try {
  const client = createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, cdnUrl: store.cdnUrl, env: {}, configPath: false });
  const { id } = await client.upload(file, { name: "bench cache-dir" });
  emit({ type: "setup", shape: options.shape, layout: options.layout, pastType: model.io.pastType, tokens: options.tokens, fileBytes: written.nbytes });

  const firstToken = async (kv: Parameters<typeof resumeFromCache>[0]["kv"]): Promise<number> => {
    const t0 = now();
    await resumeFromCache({ model, kv, questionTokens: question, maxNewTokens: 1, ignoreEos: true }).collect();
    return now() - t0;
  };
  // Warm-up (untimed): JIT, onnxruntime's arena, the page cache of the store's blob.
  await firstToken(file);

  for (let rep = 0; rep < options.reps; rep++) {
    const cacheDir = join(options.dir, `cache-${rep}`);
    const ref = { ref: id, fetch: { client, cacheDir } };
    store.requests.clear();
    const firstS = await firstToken(ref);
    const firstRequests = store.requests.count();
    // Then the second use and the same bytes by plain path (hashed by the warm-up read, which recorded it, so no hash
    // either), alternated twice so that what the first use left behind (garbage, page cache) weighs on both alike.
    const second: number[] = [];
    const path: number[] = [];
    store.requests.clear();
    for (let i = 0; i < 2; i++) {
      path.push(await firstToken(file));
      second.push(await firstToken(ref));
    }
    const secondRequests = store.requests.count();
    const secondS = Math.min(...second);
    const pathS = Math.min(...path);
    emit({ type: "rep", rep, firstS, secondS, pathS, firstRequests, secondRequests });
    await rm(cacheDir, { recursive: true, force: true });
  }
} finally {
  await store.close();
  await model.dispose();
}
