/**
 * One SDK transfer in a fresh process, so its peak RSS is its own and nothing the runner did (GC state, open
 * servers) is in the timing. Prints one JSON line.
 *
 *   BENCH_API_KEY=… node --expose-gc transfer-worker.mjs upload   <apiUrl> <file>
 *   BENCH_API_KEY=… node --expose-gc transfer-worker.mjs download <apiUrl> <id> <dest>
 *   BENCH_API_KEY=… node --expose-gc transfer-worker.mjs uploads  <apiUrl> <concurrency> <file>...
 *   BENCH_API_KEY=… node --expose-gc transfer-worker.mjs downloads <apiUrl> <concurrency> <dir> <id>...
 *
 * The key comes from the environment, not the command line (which any local user can read with `ps`).
 * Times start after imports and client creation: they measure the transfer, not Node's start-up.
 */
import { createKvcdnClient } from "../../src/index.js";
import { peakRssBytes } from "../lib/peak-rss.js";

const [mode, apiUrl, ...rest] = process.argv.slice(2);
const apiKey = process.env["BENCH_API_KEY"];
if (!mode || !apiUrl || !apiKey) throw new Error("usage: BENCH_API_KEY=… transfer-worker.ts upload|download|uploads <apiUrl> …");
const client = createKvcdnClient({ apiUrl, apiKey, env: {}, configPath: false });
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
const mib = (kib: number): number => kib / 1024;

/** Seconds from the start at which each progress phase was first seen (hashing, uploading, confirming, …). */
function phaseClock(t0: number): { onProgress: (e: { phase: string }) => void; firstSeen: Record<string, number> } {
  const firstSeen: Record<string, number> = {};
  return {
    firstSeen,
    onProgress: (e) => {
      if (firstSeen[e.phase] === undefined) firstSeen[e.phase] = (performance.now() - t0) / 1000;
    },
  };
}

if (mode === "upload") {
  const file = rest[0]!;
  const t0 = performance.now();
  const clock = phaseClock(t0);
  const artifact = await client.upload(file, { name: "bench upload", onProgress: clock.onProgress });
  const seconds = (performance.now() - t0) / 1000;
  const out = {
    id: artifact.id,
    status: artifact.status,
    sizeBytes: artifact.size_bytes,
    seconds,
    phases: clock.firstSeen,
    rssBeforeMiB,
    peakRssMiB: mib(peakRssBytes() / 1024),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (mode === "download") {
  const [id, dest] = rest as [string, string];
  const t0 = performance.now();
  const clock = phaseClock(t0);
  const result = await client.download(id, dest, { sidecar: false, onProgress: clock.onProgress });
  const seconds = (performance.now() - t0) / 1000;
  const out = {
    sizeBytes: result.sizeBytes,
    sha256: result.sha256,
    verified: result.verified,
    seconds,
    phases: clock.firstSeen,
    rssBeforeMiB,
    peakRssMiB: mib(peakRssBytes() / 1024),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (mode === "uploads") {
  const concurrency = Number(rest[0]);
  const files = rest.slice(1);
  const perUpload: Array<{ seconds: number; id: string; status: string | null; sizeBytes: number | null }> = [];
  const failures: string[] = [];
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      const s0 = performance.now();
      try {
        const a = await client.upload(file, { name: "bench load" });
        perUpload.push({ seconds: (performance.now() - s0) / 1000, id: a.id, status: a.status, sizeBytes: a.size_bytes });
      } catch (e) {
        failures.push(`${file}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  const out = { seconds, perUpload, failures, rssBeforeMiB, peakRssMiB: mib(peakRssBytes() / 1024) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (mode === "downloads") {
  const concurrency = Number(rest[0]);
  const dir = rest[1]!;
  const ids = rest.slice(2);
  const failures: string[] = [];
  let verified = 0;
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        const r = await client.download(id, `${dir}/`, { sidecar: false });
        if (r.verified) verified++;
      } catch (e) {
        failures.push(`${id}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, verified, failures, rssBeforeMiB, peakRssMiB: mib(peakRssBytes() / 1024) })}\n`);
} else {
  throw new Error(`unknown mode ${mode}`);
}
