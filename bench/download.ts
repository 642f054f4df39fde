/**
 * 2. Download + verify of a large `.kv` from the local store: the SDK (`client.download`: GET, SHA-256 while
 * streaming, fsync, rename) against `curl -o` + `openssl dgst -sha256` of the same object from a presigned URL.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { baselineTools, curlGet } from "./lib/baseline-tools.js";
import { runCommand } from "./lib/run-command.js";
import { runWorkerOnce } from "./lib/run-worker.js";
import { checkTarget, fmt, fmtBytes, interleave, median, mibPerSecond, stat } from "./lib/stats.js";
import { startStoreProcess } from "./lib/store-process.js";
import type { BenchContext, BenchMode, BenchModule, SectionResult, TableRow } from "./lib/types.js";
import { writeRandomKv } from "./lib/write-random-kv.js";
import type { SdkTransfer } from "./upload.js";

const MiB = 2 ** 20;

/** Size and repetitions per mode. */
export const DOWNLOAD_PLAN: Record<BenchMode, { bytes: number; reps: number }> = {
  full: { bytes: 2 ** 30, reps: 5 },
  quick: { bytes: 256 * MiB, reps: 3 },
  smoke: { bytes: 8 * MiB, reps: 1 },
};

async function run(ctx: BenchContext): Promise<SectionResult> {
  const t0 = performance.now();
  const plan = DOWNLOAD_PLAN[ctx.mode];
  const tools = baselineTools();
  const notes = [...tools.notes];
  const store = await startStoreProcess(join(ctx.tmpDir, "store"));
  try {
    ctx.log(`download: writing and uploading a ${fmtBytes(plan.bytes)} .kv`);
    const kv = await writeRandomKv({ path: join(ctx.tmpDir, "source.kv"), bytes: plan.bytes });
    const artifact = await store.client.upload(kv.path, { name: "bench download" });
    await rm(kv.path, { force: true });
    const expected = artifact.checksum;
    const sizeBytes = artifact.size_bytes ?? kv.sizeBytes;
    const dest = join(ctx.tmpDir, "downloaded.kv");
    const baselineOk = tools.hash !== null && tools.curl;

    const sdk: SdkTransfer[] = [];
    const base: Array<{ curl: number; hash: number; sync: number }> = [];
    const times = await interleave({
      reps: plan.reps,
      label: "download",
      log: ctx.log,
      ours: async () => {
        const r = await runWorkerOnce<SdkTransfer & { sha256: string; verified: boolean }>({
          name: "transfer-worker",
          args: ["download", store.url, artifact.id, dest],
          nodeArgs: ["--expose-gc"],
          env: { BENCH_API_KEY: store.apiKey },
          timeoutMs: 30 * 60_000,
        });
        if (!r.verified || r.sha256 !== expected) throw new Error("SDK download was not verified");
        sdk.push(r);
        await rm(dest, { force: true });
        return r.seconds;
      },
      baseline: async () => {
        if (!baselineOk) return Number.NaN;
        const { download_url } = await store.client.createDownloadUrl(artifact.id);
        const got = await curlGet(download_url, dest);
        const hashed = await tools.hash!.run(dest);
        if (hashed.sha256 !== expected) throw new Error("baseline download has the wrong SHA-256");
        // Not part of the baseline's time: what making the file durable (as the SDK does) would add.
        const synced = await runCommand("sync", [dest]).catch(() => undefined);
        base.push({ curl: got.seconds, hash: hashed.seconds, sync: synced?.seconds ?? Number.NaN });
        await rm(dest, { force: true });
        return got.seconds + hashed.seconds;
      },
    });
    await store.client.delete(artifact.id);

    const ours = stat(times.ours, "s");
    const literal = stat(times.baseline, "s");
    const durable = stat(base.map((b) => b.curl + b.hash + b.sync), "s");
    const ratio = ours.median / literal.median;
    const size = fmtBytes(sizeBytes);
    const firstPhase = (t: SdkTransfer, phase: string) => t.phases[phase] ?? Number.NaN;
    const rows: TableRow[] = [
      row("kvcdn `client.download` (GET + SHA-256 while streaming + fsync + rename)", ours.median, sizeBytes, "1.00"),
      row(`baseline: \`curl -o\` + \`${tools.hash?.name ?? "—"}\` (URL fetched untimed)`, literal.median, sizeBytes, fmt(ratio)),
      row("baseline made durable: + `sync FILE` (fsync, as the SDK does)", durable.median, sizeBytes, fmt(ours.median / durable.median)),
    ];
    const breakdown: TableRow[] = [
      { step: "SDK: metadata + download-url calls", seconds: fmt(median(sdk.map((t) => firstPhase(t, "downloading"))), 3) },
      { step: "SDK: GET + hash + write", seconds: fmt(median(sdk.map((t) => firstPhase(t, "verifying") - firstPhase(t, "downloading"))), 3) },
      { step: "SDK: fsync + rename", seconds: fmt(median(sdk.map((t) => t.seconds - firstPhase(t, "verifying"))), 3) },
      { step: "baseline: curl -o", seconds: fmt(median(base.map((b) => b.curl)), 3) },
      { step: `baseline: ${tools.hash?.name ?? "hash"} (second read of the file)`, seconds: fmt(median(base.map((b) => b.hash)), 3) },
      { step: "(not in the baseline) sync FILE", seconds: fmt(median(base.map((b) => b.sync)), 3) },
    ];
    if (ctx.mode !== "full") notes.push(`${ctx.mode} mode: ${size} instead of 1 GiB.`);
    notes.push(
      "Both sides GET the same object from the same local store process over loopback; the object is in the page cache. The SDK process also writes the file and fsyncs it before renaming; curl does not fsync, so the baseline's number is a lower bound for a durable download.",
      `SDK peak RSS while downloading ${size}: ${fmt(median(sdk.map((t) => t.peakRssMiB)), 1)} MiB.`,
    );
    return {
      id: "download",
      title: "Download + verify",
      durationS: (performance.now() - t0) / 1000,
      tables: [
        { caption: `Download + verify of a ${size} \`.kv\` over loopback, median of ${plan.reps} (alternating runs)`, rows },
        { caption: "Where the time goes (medians, seconds)", rows: breakdown },
      ],
      targets: [
        checkTarget(
          `download + verify ${size}: ours / (curl -o + ${tools.hash?.name ?? "hash"})`,
          baselineOk ? ratio : null,
          "<=",
          0.8,
          baselineOk ? `${fmt(ours.median / durable.median)} against curl + sync, which is durable like ours` : "baseline tools missing",
        ),
      ],
      notes,
      data: { sizeBytes, ours, baseline: literal, baselineDurable: durable, ratio, sdkRuns: sdk, baselineRuns: base },
    };
  } finally {
    await store.close();
  }
}

function row(what: string, seconds: number, bytes: number, ratio: string): TableRow {
  return { what, "seconds (median)": fmt(seconds, 3), "MiB/s": fmt(mibPerSecond(bytes, seconds), 0), "ratio (ours / this)": ratio };
}

export const bench: BenchModule = { id: "download", title: "Download + verify", run };
