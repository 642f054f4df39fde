/**
 * `npm run demo`: the main job of kvcdn, offline, in one command.
 *
 * A producer turns a long context into a `.kv` prompt cache once and shares it through KV Cache Store; a consumer
 * downloads it (privately by id, publicly by CDN URL), resumes generation from it without re-running the context,
 * and checks that the result equals a full prefill token for token.
 *
 *   npm run demo                                  local store in-process, tiny fixture model (seconds, no network)
 *   npm run demo -- --model DIR [--dtype q4f16]   a real model folder, e.g. onnx-community/Qwen3-0.6B-ONNX
 *   KVCDN_API_URL=… KVCDN_API_KEY=… npm run demo  the same against that service (the artifact is deleted at the end)
 *
 * Steps go to stdout, upload/download progress to stderr. Exits 1 on any failure, including a token mismatch.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createKvcdnClient, downloadArtifact, isKvcdnError, type KvcdnClient, type TransferProgress } from "kvcdn";
import { startLocalStore, type LocalStore } from "kvcdn/local-store";
import { isModelDtype, loadModel, produceCache, resumeFromCache, verifyCache, type ModelDtype, type OnnxModel } from "kvcdn/onnx";
import { ensureFixtureModel } from "kvcdn/testing";

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_CONTEXT = join(HERE, "..", "examples", "context.txt");
const DEFAULT_QUESTION = "\n\nQ: When does the radio hut close?\nA:";

const USAGE = `usage: npm run demo -- [options]

  --model DIR          model folder (onnx-community layout); default: the tiny fixture model, made on first use
  --dtype DTYPE        weight variant of --model: fp32 (default), fp16, q4f16, q8, …
  --model-id ID        model id recorded in the cache (default: from the folder)
  --context-file FILE  context to cache (default: examples/context.txt)
  --question TEXT      question asked after the context
  -n, --tokens N       tokens to generate and compare (default 16)
  --keep               keep the uploaded artifact (default: delete it at the end)
  -h, --help           this text

Without KVCDN_API_URL the demo starts a local store in-process; with KVCDN_API_URL and KVCDN_API_KEY it uses that
service (KVCDN_CDN_URL for public downloads).`;

interface DemoOptions {
  model: string | undefined;
  dtype: ModelDtype | undefined;
  modelId: string | undefined;
  contextFile: string;
  question: string;
  tokens: number;
  keep: boolean;
}

function parseOptions(argv: string[]): DemoOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string" },
      dtype: { type: "string" },
      "model-id": { type: "string" },
      "context-file": { type: "string" },
      question: { type: "string" },
      tokens: { type: "string", short: "n" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return undefined;
  const tokens = Number(values.tokens ?? 16);
  if (!Number.isInteger(tokens) || tokens < 1) throw new UsageError(`--tokens must be a positive integer, got ${values.tokens}`);
  const dtype = values.dtype;
  if (dtype !== undefined && !isModelDtype(dtype)) throw new UsageError(`unknown --dtype ${dtype}`);
  if (dtype !== undefined && values.model === undefined) throw new UsageError("--dtype needs --model DIR");
  return {
    model: values.model,
    dtype,
    modelId: values["model-id"],
    contextFile: resolve(values["context-file"] ?? DEFAULT_CONTEXT),
    question: values.question ?? DEFAULT_QUESTION,
    tokens,
    keep: values.keep === true,
  };
}

class UsageError extends Error {}

/** Print one numbered step, and time it. */
let stepNo = 0;
async function step<T>(title: string, run: () => Promise<T>, describe: (result: T) => string[]): Promise<T> {
  stepNo += 1;
  const start = performance.now();
  console.log(`\n${stepNo}. ${title}`);
  const result = await run();
  const ms = performance.now() - start;
  for (const line of describe(result)) console.log(`   ${line}`);
  console.log(`   (${formatMs(ms)})`);
  return result;
}

/** Progress on stderr: a live line on a terminal, one line per finished phase otherwise. */
function progress(label: string): (event: TransferProgress) => void {
  const tty = process.stderr.isTTY === true;
  let last = "";
  return (e) => {
    const done = e.totalBytes > 0 && e.bytes >= e.totalBytes;
    const pct = e.totalBytes > 0 ? Math.floor((100 * e.bytes) / e.totalBytes) : 100;
    const text = `   [${label}] ${e.phase.padEnd(11)} ${String(pct).padStart(3)}%  ${formatBytes(e.bytes)} / ${formatBytes(e.totalBytes)}`;
    if (tty) {
      process.stderr.write(`\r${text}\u001b[K${done ? "\n" : ""}`);
    } else if (done && text !== last) {
      process.stderr.write(`${text}\n`);
      last = text;
    }
  };
}

const formatMs = (ms: number): string => (ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);
function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
const quote = (text: string, max = 70): string => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

async function main(options: DemoOptions): Promise<boolean> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const work = await mkdtemp(join(tmpdir(), "kvcdn-demo-"));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  await mkdir(join(work, "producer"));
  await mkdir(join(work, "consumer"));
  let model: OnnxModel | undefined;
  try {
    console.log("kvcdn demo: produce a prompt cache once, share it, resume from it, and check it against a full prefill.");

    // The service: the one in KVCDN_API_URL, or a local store started here (temp data dir, removed on close).
    const remote = process.env["KVCDN_API_URL"] !== undefined && process.env["KVCDN_API_URL"] !== "";
    const { client, store } = await step(
      remote ? "Connect to the KV Cache Store service" : "Start a local KV Cache Store in-process",
      async (): Promise<{ client: KvcdnClient; store: LocalStore | undefined }> => {
        if (remote) return { client: createKvcdnClient(), store: undefined };
        const store = await startLocalStore({ port: 0 });
        cleanups.push(() => store.close());
        return { client: createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, cdnUrl: store.cdnUrl, configPath: false }), store };
      },
      ({ client, store }) => [
        `API ${client.apiUrl}, CDN ${client.cdnUrl}`,
        ...(store ? [`organization "${store.orgSlug}", project "${store.projectSlug}", dev key kv_… (not printed)`] : []),
      ],
    );

    // The model: a real folder given with --model, else the tiny random-weight Qwen3 fixture (made once, then cached).
    model = await step(
      options.model ? `Load the model in ${options.model}` : "Make (or reuse) the tiny Qwen3 fixture model and load it",
      async () => {
        const dir = options.model ?? (await ensureFixtureModel({ shape: "tiny" }));
        return loadModel({
          dir,
          ...(options.dtype ? { dtype: options.dtype } : {}),
          ...(options.modelId ? { modelId: options.modelId } : {}),
        });
      },
      (m) => [
        `${m.architecture} "${m.modelId}" (${m.dtype}): ${m.numLayers} layers, ${m.numKvHeads} KV heads, head_dim ${m.headDim}`,
        `folder ${m.dir}`,
        ...(options.model ? [] : ["random weights: the generated text is noise; what matters is that both paths agree"]),
      ],
    );
    const loaded = model;

    // Producer: prefill the context once and write the .kv with its .kv.json sidecar.
    const context = await readFile(options.contextFile, "utf8");
    const produced = await step(
      `Produce a prompt cache from ${options.contextFile}`,
      () => produceCache({ model: loaded, context, output: join(work, "producer", "context.kv") }),
      (p) => [
        `${p.tokens.length} context tokens prefilled in ${formatMs(p.prefillMs)}`,
        `wrote ${p.written!.path} (${formatBytes(p.written!.nbytes)}, ${p.cache.dtype}, ${p.cache.layers.length} layers) + .kv.json sidecar`,
        `sha256 ${p.written!.sha256}`,
      ],
    );

    const name = `kvcdn demo ${new Date().toISOString()}`;
    const uploaded = await step(
      "Upload it (SHA-256, presigned PUT, confirm)",
      () =>
        client.upload(produced.written!.path, {
          name,
          description: "Harbor Station handbook, cached by the kvcdn demo",
          visibility: "private",
          onProgress: progress("upload"),
        }),
      (a) => [`artifact ${a.id}: ${a.status ?? "ready"}, ${a.visibility}, ${formatBytes(a.size_bytes ?? 0)}, checksum ${a.checksum}`],
    );
    if (!options.keep) cleanups.push(() => client.delete(uploaded.id).catch(() => undefined));
    if (uploaded.checksum !== null && uploaded.checksum !== produced.written!.sha256) {
      throw new Error(`the service recorded checksum ${uploaded.checksum}, the file has ${produced.written!.sha256}`);
    }

    await step(
      "List it (search by name)",
      () => client.listAll({ query: name }),
      (found) => {
        const mine = found.find((a) => a.id === uploaded.id);
        if (mine === undefined) throw new Error(`artifact ${uploaded.id} is missing from the list`);
        return [`${found.length} match: ${mine.name} | ${mine.model_name} | ${mine.num_tokens} tokens | ${mine.visibility}`];
      },
    );

    const shared = await step(
      "Make it public",
      () => client.setVisibility(uploaded.id, "public"),
      (a) => [`visibility ${a.visibility}${a.public_url ? `, CDN URL ${a.public_url}` : ""}`],
    );

    // Consumer, member of the organization: by id, through a presigned GET, verified while streaming.
    const privateCopy = await step(
      "Download it privately, by id (download-url + presigned GET)",
      () => client.download(uploaded.id, join(work, "consumer", "private.kv"), { onProgress: progress("private") }),
      (d) => [`${d.path}: ${formatBytes(d.sizeBytes)}, sha256 ${d.verified ? "verified" : "NOT verified"}, sidecar ${d.sidecarPath ? "written" : "none"}`],
    );

    // Consumer, anyone: by the public CDN URL, with no client and no credentials.
    const publicUrl =
      shared.public_url ??
      (shared.org_slug && shared.project_slug ? client.publicUrl({ orgSlug: shared.org_slug, projectSlug: shared.project_slug, id: shared.id }) : null);
    const copies = [privateCopy.sha256];
    if (publicUrl === null) {
      console.log("\n   (public download skipped: the service reports no CDN URL and no org/project slugs)");
    } else {
      const publicCopy = await step(
        "Download it publicly, by CDN URL (no credentials)",
        () => downloadArtifact({ source: publicUrl, dest: join(work, "consumer", "public.kv"), onProgress: progress("public") }),
        (d) => [
          `${publicUrl}`,
          `${d.path}: ${formatBytes(d.sizeBytes)}, sha256 ${d.sha256 === privateCopy.sha256 ? "identical to the private copy" : "DIFFERENT from the private copy"}`,
        ],
      );
      copies.push(publicCopy.sha256);
    }
    for (const sha of copies) {
      if (sha !== produced.written!.sha256) throw new Error(`a downloaded copy differs from the produced file (sha256 ${sha})`);
    }

    // Resume from the downloaded cache: only the question runs, at positions num_tokens …
    const resumed = await step(
      "Resume generation from the downloaded cache",
      () => resumeFromCache({ model: loaded, kv: privateCopy.path, question: options.question, maxNewTokens: options.tokens }).collect(),
      (r) => [
        `question ${quote(options.question)} (${r.prefillTokens} tokens) after ${r.cachedTokens} cached positions`,
        `answer ${quote(r.text)} (${r.tokens.length} tokens, ${r.finishReason})`,
        `time to first token ${formatMs(r.timings.firstTokenMs)} (cache read and seeded in ${formatMs(r.timings.seedMs)})`,
      ],
    );

    // Verify: the same question after a full prefill of context + question, compared token by token.
    const verified = await step(
      "Verify against a full prefill of context + question",
      () => verifyCache({ model: loaded, kv: privateCopy.path, question: options.question, maxNewTokens: options.tokens }),
      (v) => [
        v.match
          ? `match: all ${v.maxNewTokens} greedy tokens identical`
          : `MISMATCH at positions ${v.mismatchIndices.join(", ")} of ${v.maxNewTokens}`,
        `max |logit diff| ${v.maxAbsLogitDiff.toExponential(2)}, top-${v.topK} agreement ${(v.topKAgreement * 100).toFixed(0)}%`,
      ],
    );

    const speedup = verified.ttftFullMs / verified.ttftCachedMs;
    console.log("\nSummary");
    console.log(`   context                   ${produced.tokens.length} tokens, cache ${formatBytes(produced.written!.nbytes)}`);
    console.log(`   shared                    artifact ${uploaded.id} (${remote ? "remote service" : "local store"})`);
    console.log(`   time to first token       from the cache ${formatMs(verified.ttftCachedMs)}, full prefill ${formatMs(verified.ttftFullMs)} (${speedup.toFixed(1)}x)`);
    console.log(`   first resume              ${formatMs(resumed.timings.firstTokenMs)} to the first token`);
    console.log(`   tokens                    ${verified.match ? "identical to the full prefill" : "DIFFERENT from the full prefill"}`);
    if (options.keep) {
      console.log(`   kept artifact ${uploaded.id}${store ? " (until the in-process store closes: --keep is for KVCDN_API_URL)" : ""}`);
    }
    return verified.match;
  } finally {
    await model?.dispose();
    // Undo in reverse: delete the artifact (unless --keep), close the local store, remove the temp folder.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

try {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    console.log(USAGE);
  } else {
    const ok = await main(options);
    console.log(ok ? "\ndemo: ok" : "\ndemo: FAILED (the cached path did not reproduce the full prefill)");
    process.exitCode = ok ? 0 : 1;
  }
} catch (e) {
  if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error(`demo: ${(e as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    const err = e as Error;
    console.error(`\ndemo failed: ${isKvcdnError(err) ? `${err.name}: ` : ""}${err.message}`);
    if (process.env["KVCDN_DEBUG"]) console.error(err.stack);
    process.exitCode = 1;
  }
}
