/**
 * Consumer: download a shared prompt cache, privately by id and publicly by CDN URL, then continue generation from
 * it without re-running its context.
 *
 *   npx tsx examples/download-and-resume.ts [ARTIFACT_ID]
 *
 * Without an id it first publishes a public sample cache (setup.ts), so it runs on its own.
 */
import { join } from "node:path";
import { downloadArtifact } from "kvcdn";
import { loadModel, resumeFromCache } from "kvcdn/onnx";
import { connect, modelFolder, publishSampleCache, scratchFolder } from "./setup.js";

const { client, close } = await connect();
const model = await loadModel(await modelFolder());
const scratch = await scratchFolder();
try {
  const id = process.argv[2] ?? (await publishSampleCache({ client, model, visibility: "public" })).id;

  // 1. Private: a member of the owning organization downloads by id (download-url, then a presigned GET). The SHA-256
  //    is checked while streaming, and the file (with its .kv.json sidecar) appears only once complete and verified.
  const mine = await client.download(id, join(scratch.dir, "private.kv"));
  console.log(`downloaded ${id} to ${mine.path} (${mine.sizeBytes} bytes, verified: ${mine.verified})`);

  // 2. Public: anyone can fetch a public artifact from its CDN URL, with no account, no key and no client.
  const artifact = await client.get(id);
  const url =
    artifact.public_url ??
    (artifact.visibility === "public" && artifact.org_slug && artifact.project_slug
      ? client.publicUrl({ orgSlug: artifact.org_slug, projectSlug: artifact.project_slug, id })
      : undefined);
  if (url) {
    const theirs = await downloadArtifact({ source: url, dest: join(scratch.dir, "public.kv") });
    console.log(`downloaded ${url} (same bytes: ${theirs.sha256 === mine.sha256})`);
  } else {
    console.log(`artifact ${id} is private: no public download`);
  }

  // 3. Resume: the cache is checked against the model (layers, heads, fingerprint), then only the question runs, at
  //    positions num_tokens, num_tokens + 1, …; the answer streams token by token.
  const question = "\n\nQ: Who must be on the radio when a boat leaves?\nA:";
  process.stdout.write(question.trimStart());
  const answer = resumeFromCache({ model, kv: mine.path, question, maxNewTokens: 24 });
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
