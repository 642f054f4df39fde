/**
 * transformers.js: make a prompt cache with a transformers.js forward pass, share it, and seed `generate()` with it,
 * so the model continues after the cached context instead of prefilling it again.
 *
 *   npx tsx examples/transformers-js.ts
 */
import { join } from "node:path";
import { Tensor } from "@huggingface/transformers";
import { writeKv } from "kvcdn/kv";
import { readModelFolder } from "kvcdn/onnx";
import { generateFromCache, loadTransformersModel, presentToKv } from "kvcdn/transformers";
import { connect, modelFolder, sampleContext, scratchFolder } from "./setup.js";

const { client, close } = await connect();
const folder = await modelFolder();
const { model, tokenizer } = await loadTransformersModel(folder);
const scratch = await scratchFolder();
try {
  // 1. Producer: one forward pass over the context; its present.* outputs are the cache.
  const context = await sampleContext();
  const ids = tokenizer.encode(context);
  const ones = new BigInt64Array(ids.length).fill(1n);
  const outputs = await model({
    input_ids: new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new Tensor("int64", ones, [1, ids.length]),
  });
  const { modelId, fingerprint } = await readModelFolder(folder);
  const { path } = await writeKv(join(scratch.dir, "context.kv"), presentToKv(outputs), {
    sidecar: { model_name: modelId, prompt: context, tokens: ids, fingerprint },
  });

  // 2. Share it. A consumer needs only its id: the reference is fetched into the cache directory once, verified.
  const artifact = await client.upload(path, { name: "Harbor Station handbook (transformers.js)" });
  // The example keeps the cache directory in its scratch folder; leave cacheDir out to use KVCDN_CACHE_DIR or ~/.cache/kvcdn.
  const cacheDir = join(scratch.dir, "cache");

  // 3. Consumer: generate() continues from the cache. generateFromCache passes the full ids with a full-length mask
  //    and a fresh DynamicCache, so only the question runs; the cache on disk is never modified.
  const question = "\n\nQ: How much fuel does the station keep?\nA:";
  const { text, cachedTokens, newTokens } = await generateFromCache({
    model,
    tokenizer,
    kv: { ref: artifact.id, fetch: { client, cacheDir } },
    question,
    max_new_tokens: 24,
    do_sample: false,
  });
  console.log(`${question.trimStart()}${text}`);
  console.log(`(${cachedTokens} cached tokens reused, ${newTokens.length} generated)`);
} finally {
  await model.dispose();
  await scratch.remove();
  await close();
}
