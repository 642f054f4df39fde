/**
 * Consumer: give the runtime a reference to a shared prompt cache (an artifact id, a public CDN URL or
 * org/project/id) and continue generation from it without re-running its context. The cache directory fetches each
 * reference once, verified, and serves it afterwards without a request, offline too.
 *
 *   npx tsx examples/download-and-resume.ts [ARTIFACT_ID]
 *
 * Without an id it first publishes a public sample cache (setup.ts), so it runs on its own.
 */
import { join } from "node:path";
import { fetchCache } from "kvcdn";
import { loadModel, resumeFromCache } from "kvcdn/onnx";
import { connect, modelFolder, publishSampleCache, scratchFolder } from "./setup.js";

const { client, close } = await connect();
const model = await loadModel(await modelFolder());
const scratch = await scratchFolder();
try {
  const id = process.argv[2] ?? (await publishSampleCache({ client, model, visibility: "public" })).id;
  // The example keeps its cache directory in a scratch folder; leave cacheDir out to use KVCDN_CACHE_DIR or ~/.cache/kvcdn.
  const cacheDir = join(scratch.dir, "cache");

  // 1. Private: a member of the owning organization fetches by id (download-url, then a presigned GET). The SHA-256
  //    is checked while streaming; the blob (with its .kv.json sidecar) appears only once complete and verified.
  const mine = await fetchCache(id, { client, cacheDir });
  console.log(`fetched ${id} into ${mine.path} (${mine.sizeBytes} bytes, downloaded: ${mine.downloaded})`);

  // 2. Public: anyone can fetch a public artifact by its CDN URL, with no account and no key. The directory already
  //    holds those bytes (the CDN names their SHA-256), so nothing is downloaded again.
  const artifact = await client.get(id);
  const url =
    artifact.public_url ??
    (artifact.visibility === "public" && artifact.org_slug && artifact.project_slug
      ? client.publicUrl({ orgSlug: artifact.org_slug, projectSlug: artifact.project_slug, id })
      : undefined);
  if (url) {
    const theirs = await fetchCache(url, { cacheDir });
    console.log(`fetched ${url} (same blob: ${theirs.path === mine.path}, downloaded: ${theirs.downloaded})`);
  } else {
    console.log(`artifact ${id} is private: no public download`);
  }

  // 3. Resume from the reference: the cache is checked against the model (layers, heads, fingerprint), then only the
  //    question runs, at positions num_tokens, num_tokens + 1, …; the answer streams token by token. The reference is
  //    in the directory already, so this costs no request and no second hash of the file.
  const question = "\n\nQ: Who must be on the radio when a boat leaves?\nA:";
  process.stdout.write(question.trimStart());
  const answer = resumeFromCache({ model, kv: { ref: id, fetch: { client, cacheDir, offline: true } }, question, maxNewTokens: 24 });
  for await (const event of answer) {
    if (event.phase === "token") process.stdout.write(event.text);
    else {
      const { cachedTokens, timings } = event.result;
      console.log(`\n(${cachedTokens} cached tokens reused, first token after ${timings.firstTokenMs.toFixed(1)} ms)`);
    }
  }
} finally {
  await model.dispose();
  await scratch.remove();
  await close();
}
