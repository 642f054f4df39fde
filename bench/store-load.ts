/**
 * 5. The local store under load: 100 concurrent 8 MiB uploads through the SDK (one client process), every one
 * confirmed, against the same files uploaded one at a time (a single stream); then the same artifacts downloaded one
 * at a time and all at once. The client's peak RSS is reported for both directions.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { runWorkerOnce } from "./lib/run-worker.js";
import { fmt, median, mibPerSecond, percentile, stat } from "./lib/stats.js";
import { startStoreProcess, type StoreProcess } from "./lib/store-process.js";
import type { BenchContext, BenchMode, BenchModule, SectionResult, TableRow } from "./lib/types.js";
import { writeRandomKv } from "./lib/write-random-kv.js";

const MiB = 2 ** 20;
/** Issue 14: many concurrent uploads from one client must stay under this peak RSS. */
const RSS_TARGET_MIB = 300;

/** Files, size and repetitions per mode; `sequential` files are uploaded one at a time for the single-stream rate. */
export const STORE_LOAD_PLAN: Record<BenchMode, { files: number; bytes: number; sequential: number; reps: number }> = {
  full: { files: 100, bytes: 8 * MiB, sequential: 25, reps: 3 },
  quick: { files: 100, bytes: 8 * MiB, sequential: 10, reps: 1 },
  smoke: { files: 8, bytes: 1 * MiB, sequential: 2, reps: 1 },
};

interface UploadsOutcome {
  seconds: number;
  perUpload: Array<{ seconds: number; id: string; status: string; sizeBytes: number }>;
  failures: string[];
  peakRssMiB: number;
}

async function uploads(store: StoreProcess, concurrency: number, files: string[]): Promise<UploadsOutcome> {
  const out = await runWorkerOnce<UploadsOutcome>({
    name: "transfer-worker",
    args: ["uploads", store.url, String(concurrency), ...files],
    env: { BENCH_API_KEY: store.apiKey },
    timeoutMs: 30 * 60_000,
  });
  return out;
}

interface DownloadsOutcome {
  seconds: number;
  verified: number;
  failures: string[];
  peakRssMiB: number;
}

async function downloads(store: StoreProcess, concurrency: number, dir: string, ids: string[]): Promise<DownloadsOutcome> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    return await runWorkerOnce<DownloadsOutcome>({
      name: "transfer-worker",
      args: ["downloads", store.url, String(concurrency), dir, ...ids],
      env: { BENCH_API_KEY: store.apiKey },
      timeoutMs: 30 * 60_000,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every artifact the store lists as ready, deleted afterwards (so each round starts from an empty store). */
async function confirmAndClear(store: StoreProcess, expected: number): Promise<number> {
  const all = await store.client.listAll();
  const ready = all.filter((a) => a.status === "ready").length;
  for (const a of all) await store.client.delete(a.id);
  if (all.length !== expected) throw new Error(`store lists ${all.length} artifacts, expected ${expected}`);
  return ready;
}

async function run(ctx: BenchContext): Promise<SectionResult> {
  const t0 = performance.now();
  const plan = STORE_LOAD_PLAN[ctx.mode];
  const store = await startStoreProcess(join(ctx.tmpDir, "store"));
  try {
    ctx.log(`store-load: writing ${plan.files} files of ${plan.bytes / MiB} MiB`);
    const files: string[] = [];
    let bytes = 0;
    for (let i = 0; i < plan.files; i++) {
      const kv = await writeRandomKv({ path: join(ctx.tmpDir, `f${String(i).padStart(3, "0")}.kv`), bytes: plan.bytes });
      files.push(kv.path);
      bytes += kv.sizeBytes;
    }
    const perFile = bytes / files.length;
    const single: number[] = [];
    const concurrent: number[] = [];
    const latencies: number[] = [];
    const readyCounts: number[] = [];
    let failures: string[] = [];
    let peakRss = 0;
    let singlePeakRss = 0;
    let downloadPeakRss = 0;
    let singleDownloadPeakRss = 0;
    for (let rep = 0; rep < plan.reps; rep++) {
      const seq = await uploads(store, 1, files.slice(0, plan.sequential));
      await confirmAndClear(store, plan.sequential);
      single.push(mibPerSecond(perFile * plan.sequential, seq.seconds));
      singlePeakRss = Math.max(singlePeakRss, seq.peakRssMiB);
      const all = await uploads(store, plan.files, files);
      failures = failures.concat(all.failures);
      // The same artifacts back: one at a time, then all at once, for the download side's peak RSS.
      const ids = all.perUpload.map((u) => u.id);
      const downDir = join(ctx.tmpDir, "downloads");
      const oneDown = await downloads(store, 1, downDir, ids.slice(0, plan.sequential));
      const allDown = await downloads(store, plan.files, downDir, ids);
      failures = failures.concat(oneDown.failures, allDown.failures);
      singleDownloadPeakRss = Math.max(singleDownloadPeakRss, oneDown.peakRssMiB);
      downloadPeakRss = Math.max(downloadPeakRss, allDown.peakRssMiB);
      const listedReady = await confirmAndClear(store, plan.files - all.failures.length);
      readyCounts.push(Math.min(all.perUpload.filter((u) => u.status === "ready").length, listedReady));
      concurrent.push(mibPerSecond(bytes, all.seconds));
      latencies.push(...all.perUpload.map((u) => u.seconds));
      peakRss = Math.max(peakRss, all.peakRssMiB);
      ctx.log(`store-load rep ${rep + 1}/${plan.reps}: single ${fmt(single[rep], 0)} MiB/s, ${plan.files} concurrent ${fmt(concurrent[rep], 0)} MiB/s`);
    }
    const allConfirmed = failures.length === 0 && readyCounts.every((c) => c === plan.files);
    const rssRatio = peakRss / singlePeakRss;
    const ratio = median(concurrent) / median(single);
    const rows: TableRow[] = [
      { what: `single stream (${plan.sequential} uploads one after another)`, "MiB/s (median)": fmt(median(single), 0), "uploads/s": fmt(median(single) / (perFile / MiB), 1), ratio: "1.00" },
      { what: `${plan.files} concurrent uploads (one SDK client)`, "MiB/s (median)": fmt(median(concurrent), 0), "uploads/s": fmt(median(concurrent) / (perFile / MiB), 1), ratio: fmt(ratio) },
    ];
    const latencyRows: TableRow[] = [
      {
        "uploads confirmed": `${readyCounts.join(", ")} of ${plan.files}${failures.length ? ` (${failures.length} failed)` : ""}`,
        "latency p50 (s)": fmt(percentile(latencies, 50)),
        "latency p95 (s)": fmt(percentile(latencies, 95)),
        "latency max (s)": fmt(Math.max(...latencies)),
        "client peak RSS (MiB)": fmt(peakRss, 0),
        "single-upload peak RSS (MiB)": fmt(singlePeakRss, 0),
        "RSS ratio": fmt(rssRatio),
      },
    ];
    const rssRows: TableRow[] = [
      { transfer: "uploads", "one at a time (MiB)": fmt(singlePeakRss, 0), [`${plan.files} at once (MiB)`]: fmt(peakRss, 0), ratio: fmt(rssRatio) },
      {
        transfer: "downloads",
        "one at a time (MiB)": fmt(singleDownloadPeakRss, 0),
        [`${plan.files} at once (MiB)`]: fmt(downloadPeakRss, 0),
        ratio: fmt(downloadPeakRss / singleDownloadPeakRss),
      },
    ];
    const notes = [
      `Client peak RSS is the worker process's VmHWM (bench/lib/peak-rss.ts) (Node itself included) over the ${plan.files}-transfer round, against the one-at-a-time round; I/O buffers of all transfers share one 32 MiB budget (src/transfer/byte-budget.ts), so it should not grow with the number of transfers.`,
      "Each upload is the SDK's full path (SHA-256, upload-url, presigned PUT, confirm-upload with the store re-hashing the object); the store and the client run in separate processes on the same 2 cores, so CPU, not the network, bounds both numbers. After each round the store is listed (every artifact must be ready) and emptied.",
    ];
    if (ctx.mode !== "full") notes.push(`${ctx.mode} mode: ${plan.reps} round(s)${ctx.mode === "smoke" ? `, ${plan.files} files of ${plan.bytes / MiB} MiB` : ""}.`);
    if (failures.length) notes.push(`Failures: ${failures.slice(0, 3).join("; ")}`);
    return {
      id: "store-load",
      title: "Local store under load",
      durationS: (performance.now() - t0) / 1000,
      tables: [
        { caption: `${plan.files} × ${fmt(perFile / MiB, 1)} MiB uploads to the local store, median of ${plan.reps} round(s)`, rows },
        { caption: "Concurrent round details", rows: latencyRows },
        { caption: `Client peak RSS (one SDK process, ${fmt(perFile / MiB, 1)} MiB files)`, rows: rssRows },
      ],
      targets: [
        { name: `${plan.files} concurrent uploads, all confirmed (ready)`, value: allConfirmed ? 1 : 0, target: "all", status: allConfirmed ? "met" : "missed" },
        {
          name: `client peak RSS, ${plan.files} concurrent uploads (MiB)`,
          value: Math.round(peakRss),
          target: `< ${RSS_TARGET_MIB}`,
          status: peakRss < RSS_TARGET_MIB ? "met" : "missed",
        },
        {
          name: `client peak RSS, ${plan.files} concurrent downloads (MiB)`,
          value: Math.round(downloadPeakRss),
          target: `< ${RSS_TARGET_MIB}`,
          status: downloadPeakRss < RSS_TARGET_MIB ? "met" : "missed",
        },
      ],
      notes,
      data: { files: plan.files, bytesPerFile: perFile, singleMiBps: stat(single, "MiB/s"), concurrentMiBps: stat(concurrent, "MiB/s"), ratio, latencies: stat(latencies, "s"), readyCounts, failures, peakRssMiB: peakRss, singlePeakRssMiB: singlePeakRss, rssRatio, downloadPeakRssMiB: downloadPeakRss, singleDownloadPeakRssMiB: singleDownloadPeakRss },
    };
  } finally {
    await store.close();
  }
}

export const bench: BenchModule = { id: "store-load", title: "Local store under load", run };
