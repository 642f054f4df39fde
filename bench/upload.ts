/**
 * 1. Upload of a large `.kv` to the local store over loopback: the SDK (`client.upload`: hash, upload-url, presigned
 * PUT, confirm) against `openssl dgst -sha256` + `curl -T` of the same file to a presigned URL of the same store; and
 * the SDK's peak RSS at two sizes (flat memory).
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { baselineTools, curlPut } from "./lib/baseline-tools.js";
import { runWorkerOnce } from "./lib/run-worker.js";
import { checkTarget, fmt, fmtBytes, interleave, median, mibPerSecond, stat, timeAsync } from "./lib/stats.js";
import { startStoreProcess, type StoreProcess } from "./lib/store-process.js";
import type { BenchContext, BenchMode, BenchModule, SectionResult, TableRow, TargetCheck } from "./lib/types.js";
import { writeRandomKv } from "./lib/write-random-kv.js";

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Sizes and repetitions per mode. `rssBytes` are the two sizes whose peak RSS must match within 10%. */
export const UPLOAD_PLAN: Record<BenchMode, { bytes: number; rssBigBytes: number; reps: number }> = {
  full: { bytes: GiB, rssBigBytes: 4 * GiB, reps: 5 },
  quick: { bytes: 256 * MiB, rssBigBytes: GiB, reps: 3 },
  smoke: { bytes: 8 * MiB, rssBigBytes: 32 * MiB, reps: 1 },
};

/** What one SDK upload worker reports. */
export interface SdkTransfer {
  id?: string;
  status?: string;
  sizeBytes: number;
  seconds: number;
  phases: Record<string, number>;
  rssBeforeMiB: number;
  peakRssMiB: number;
}

async function sdkUpload(store: StoreProcess, file: string): Promise<SdkTransfer> {
  const out = await runWorkerOnce<SdkTransfer>({
    name: "transfer-worker",
    args: ["upload", store.url, file],
    nodeArgs: ["--expose-gc"],
    env: { BENCH_API_KEY: store.apiKey },
    timeoutMs: 30 * 60_000,
  });
  if (out.status !== "ready") throw new Error(`SDK upload ended ${out.status}, expected ready`);
  await store.client.delete(out.id!);
  return out;
}

/** Seconds each SDK phase took, from the first-seen times of its progress phases. */
function phaseDurations(t: SdkTransfer): { hashing: number; uploading: number; confirming: number } {
  const h = t.phases["hashing"] ?? 0;
  const u = t.phases["uploading"] ?? h;
  const c = t.phases["confirming"] ?? t.seconds;
  return { hashing: u - h, uploading: c - u, confirming: t.seconds - c };
}

async function run(ctx: BenchContext): Promise<SectionResult> {
  const t0 = performance.now();
  const plan = UPLOAD_PLAN[ctx.mode];
  const tools = baselineTools();
  const notes = [...tools.notes];
  const store = await startStoreProcess(join(ctx.tmpDir, "store"));
  try {
    ctx.log(`upload: writing a ${fmtBytes(plan.bytes)} .kv`);
    const kv = await writeRandomKv({ path: join(ctx.tmpDir, "upload.kv"), bytes: plan.bytes });

    const sdk: SdkTransfer[] = [];
    const base: Array<{ hash: number; uploadUrl: number; curl: number; confirm: number }> = [];
    const baselineOk = tools.hash !== null && tools.curl;
    const times = await interleave({
      reps: plan.reps,
      label: "upload",
      log: ctx.log,
      ours: async () => {
        const r = await sdkUpload(store, kv.path);
        sdk.push(r);
        return r.seconds;
      },
      baseline: async () => {
        if (!baselineOk) return Number.NaN;
        const hashed = await tools.hash!.run(kv.path);
        // The presigned URL needs the checksum, so it is requested after hashing; timed separately.
        const ticket = await timeAsync(() =>
          store.client.createUploadUrl({
            model_name: "Qwen/Qwen3-0.6B",
            name: "bench baseline",
            dtype: "F16",
            num_tokens: kv.tokens,
            size_bytes: kv.sizeBytes,
            checksum: hashed.sha256,
          }),
        );
        const put = await curlPut(kv.path, ticket.value.url, ticket.value.upload_headers);
        const confirmed = await timeAsync(() => store.client.confirmUpload(ticket.value.artifact_id, { size_bytes: kv.sizeBytes, checksum: hashed.sha256 }));
        if (confirmed.value.status !== "ready") throw new Error("baseline upload was not confirmed");
        await store.client.delete(ticket.value.artifact_id);
        base.push({ hash: hashed.seconds, uploadUrl: ticket.seconds, curl: put.seconds, confirm: confirmed.seconds });
        return hashed.seconds + put.seconds;
      },
    });

    ctx.log(`upload: peak RSS at ${fmtBytes(plan.rssBigBytes)}`);
    await rm(kv.path, { force: true });
    const big = await writeRandomKv({ path: join(ctx.tmpDir, "upload-big.kv"), bytes: plan.rssBigBytes });
    const bigRun = await sdkUpload(store, big.path);
    await rm(big.path, { force: true });

    const ours = stat(times.ours, "s");
    const literal = stat(times.baseline, "s");
    const e2e = stat(base.map((b) => b.hash + b.uploadUrl + b.curl + b.confirm), "s");
    const phases = sdk.map(phaseDurations);
    const ratio = ours.median / literal.median;
    const ratioE2e = ours.median / e2e.median;
    const rssSmall = median(sdk.map((s) => s.peakRssMiB));
    const rssRatio = bigRun.peakRssMiB / rssSmall;
    const size = fmtBytes(kv.sizeBytes);

    const rows: TableRow[] = [
      row(`kvcdn \`client.upload\` (hash + upload-url + PUT + confirm)`, ours.median, kv.sizeBytes, "1.00"),
      row(`baseline: \`${tools.hash?.name ?? "—"}\` + \`curl -T\` (URL fetched untimed)`, literal.median, kv.sizeBytes, fmt(ratio)),
      row("baseline end to end: + upload-url + confirm-upload calls", e2e.median, kv.sizeBytes, fmt(ratioE2e)),
    ];
    const breakdown: TableRow[] = [
      { step: "SDK: SHA-256 pass (+ upload-url request)", seconds: fmt(median(phases.map((p) => p.hashing)), 3) },
      { step: "SDK: presigned PUT (server writes + fsyncs)", seconds: fmt(median(phases.map((p) => p.uploading)), 3) },
      { step: "SDK: confirm-upload (server re-hashes the object)", seconds: fmt(median(phases.map((p) => p.confirming)), 3) },
      { step: `baseline: ${tools.hash?.name ?? "hash"}`, seconds: fmt(median(base.map((b) => b.hash)), 3) },
      { step: "baseline: curl -T (server writes + fsyncs)", seconds: fmt(median(base.map((b) => b.curl)), 3) },
      { step: "baseline: upload-url call", seconds: fmt(median(base.map((b) => b.uploadUrl)), 3) },
      { step: "baseline: confirm-upload call (server re-hashes)", seconds: fmt(median(base.map((b) => b.confirm)), 3) },
    ];
    const rss: TableRow[] = [
      { file: size, "peak RSS (MiB)": fmt(rssSmall, 1), "RSS before upload (MiB)": fmt(median(sdk.map((s) => s.rssBeforeMiB)), 1), seconds: fmt(ours.median) },
      { file: fmtBytes(big.sizeBytes), "peak RSS (MiB)": fmt(bigRun.peakRssMiB, 1), "RSS before upload (MiB)": fmt(bigRun.rssBeforeMiB, 1), seconds: fmt(bigRun.seconds) },
    ];
    const targets: TargetCheck[] = [
      checkTarget(
        `upload ${size}: ours / (${tools.hash?.name ?? "hash"} + curl -T)`,
        baselineOk ? ratio : null,
        "<=",
        1.1,
        baselineOk ? `${fmt(ratioE2e)} against a baseline that also calls upload-url and confirm-upload` : "baseline tools missing",
      ),
      checkTarget(`upload peak RSS ${fmtBytes(big.sizeBytes)} / ${size}`, rssRatio, "<=", 1.1),
      checkTarget(`upload peak RSS at ${fmtBytes(big.sizeBytes)} (MiB)`, bigRun.peakRssMiB, "<", 128),
    ];
    if (ctx.mode !== "full") notes.push(`${ctx.mode} mode: ${size} instead of 1 GiB, and peak RSS compared at ${size} vs ${fmtBytes(big.sizeBytes)} instead of 1 GiB vs 4 GiB.`);
    notes.push(
      "Both sides PUT to the same local store process over loopback; the store writes each object to a temp file, fsyncs and renames it. The file being uploaded is in the page cache (it was just written).",
      "The target ratio compares against `openssl` + `curl -T` only; the SDK also makes the upload-url and confirm-upload calls, and confirm makes the store re-hash the object, so the end-to-end row is the like-for-like comparison (same ready artifact at the end).",
      "Peak RSS is the VmHWM (bench/lib/peak-rss.ts) of a fresh Node process doing one upload: plain Node running the bundled SDK (no TypeScript loader), its imports included.",
    );
    return {
      id: "upload",
      title: "Upload",
      durationS: (performance.now() - t0) / 1000,
      tables: [
        { caption: `Upload of a ${size} \`.kv\` over loopback, median of ${plan.reps} (alternating runs)`, rows },
        { caption: "Where the time goes (medians, seconds)", rows: breakdown },
        { caption: "Peak RSS of the SDK upload process", rows: rss },
      ],
      targets,
      notes,
      data: { sizeBytes: kv.sizeBytes, ours, baseline: literal, baselineEndToEnd: e2e, ratio, ratioEndToEnd: ratioE2e, sdkRuns: sdk, baselineRuns: base, big: { ...bigRun, sizeBytes: big.sizeBytes }, rssRatio, hashTool: tools.hash?.name ?? null },
    };
  } finally {
    await store.close();
  }
}

function row(what: string, seconds: number, bytes: number, ratio: string): TableRow {
  return { what, "seconds (median)": fmt(seconds, 3), "MiB/s": fmt(mibPerSecond(bytes, seconds), 0), "ratio (ours / this)": ratio };
}

export const bench: BenchModule = { id: "upload", title: "Upload", run };
