/**
 * What every example needs before it starts: a KV Cache Store to talk to and a model folder.
 *
 * - Store: the service in `KVCDN_API_URL` / `KVCDN_API_KEY` / `KVCDN_CDN_URL` when set (createKvcdnClient reads them),
 *   otherwise a local store started in-process on a free port, with a temporary data folder that close() removes.
 * - Model: the folder in `KVCDN_MODEL_DIR` (weight variant in `KVCDN_MODEL_DTYPE`, e.g. q4f16), otherwise the tiny
 *   random-weight Qwen3 fixture, generated on first use and cached under node_modules/.cache.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKvcdnClient, type Artifact, type KvcdnClient } from "kvcdn";
import { startLocalStore } from "kvcdn/local-store";
import { isModelDtype, produceCache, type ModelDtype, type OnnxModel } from "kvcdn/onnx";
import { ensureFixtureModel } from "kvcdn/testing";

/** A client for the configured service, or for a local store started here; close() stops the local store. */
export async function connect(): Promise<{ client: KvcdnClient; close: () => Promise<void> }> {
  if (process.env["KVCDN_API_URL"]) return { client: createKvcdnClient(), close: async () => {} };
  const store = await startLocalStore({ port: 0 });
  const client = createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, cdnUrl: store.cdnUrl, configPath: false });
  return { client, close: () => store.close() };
}

/** The model folder and weight variant to use. */
export async function modelFolder(): Promise<{ dir: string; dtype: ModelDtype }> {
  const dtype = process.env["KVCDN_MODEL_DTYPE"] || "fp32";
  if (!isModelDtype(dtype)) throw new Error(`KVCDN_MODEL_DTYPE=${dtype} is not a known weight variant`);
  const dir = process.env["KVCDN_MODEL_DIR"] || (await ensureFixtureModel({ shape: "tiny" }));
  return { dir, dtype };
}

/** A scratch folder for downloads and caches, and a function that removes it. */
export async function scratchFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "kvcdn-example-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The sample context shipped with the examples. */
export function sampleContext(): Promise<string> {
  return readFile(new URL("context.txt", import.meta.url), "utf8");
}

/**
 * Produce a cache of the sample context and upload it: what generate-and-upload.ts shows step by step. The examples
 * that consume a cache call it when no artifact id is given, so that each runs on its own.
 */
export async function publishSampleCache(params: {
  client: KvcdnClient;
  model: OnnxModel;
  visibility: "private" | "public";
}): Promise<Artifact> {
  const scratch = await scratchFolder();
  try {
    const { written } = await produceCache({ model: params.model, context: await sampleContext(), output: join(scratch.dir, "sample.kv") });
    return await params.client.upload(written!.path, { name: "Harbor Station handbook (sample)", visibility: params.visibility });
  } finally {
    await scratch.remove();
  }
}
