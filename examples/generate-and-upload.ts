/**
 * Producer: prefill a long context once, keep its KV cache as a `.kv` file, and upload it to KV Cache Store.
 *
 *   npx tsx examples/generate-and-upload.ts [CONTEXT_FILE]
 *
 * Store and model come from the environment (see setup.ts); with nothing set it runs offline on a local store and
 * the tiny fixture model.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadModel, produceCache } from "kvcdn/onnx";
import { connect, modelFolder, sampleContext, scratchFolder } from "./setup.js";

const { client, close } = await connect();
const model = await loadModel(await modelFolder());
const scratch = await scratchFolder();
try {
  // 1. Prefill the context once. The .kv holds every layer's keys and values; its .kv.json sidecar records the model,
  //    the context's token ids and a fingerprint of the model, so a consumer can check the cache fits before using it.
  const context = process.argv[2] ? await readFile(process.argv[2], "utf8") : await sampleContext();
  const { written, tokens, prefillMs } = await produceCache({ model, context, output: join(scratch.dir, "context.kv") });
  console.log(`cached ${tokens.length} tokens in ${written!.path} (${written!.nbytes} bytes, prefill ${prefillMs.toFixed(0)} ms)`);

  // 2. Upload: one SHA-256 pass over the file, a presigned PUT straight to storage (the API key is never sent there),
  //    then confirm-upload, which checks size and checksum and makes the artifact `ready`.
  const artifact = await client.upload(written!.path, {
    name: "Harbor Station handbook",
    description: "Operations handbook excerpt, prefilled for Q&A",
    visibility: "private",
    onProgress: (e) => {
      if (e.bytes === e.totalBytes) console.error(`  ${e.phase} ${e.totalBytes} bytes`);
    },
  });
  console.log(`uploaded artifact ${artifact.id}: ${artifact.status}, ${artifact.visibility}, sha256 ${artifact.checksum}`);
  console.log(`model ${artifact.model_name}, ${artifact.num_tokens} tokens, ${artifact.num_layers} layers, ${artifact.dtype}`);
} finally {
  await model.dispose();
  await scratch.remove();
  await close();
}
