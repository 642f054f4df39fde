/**
 * Peak RSS and throughput of kvcdn's upload and download against the local store over loopback.
 *
 *   npx tsx bench/transfer-rss.ts [--mib 256] [--mib 1024]
 *
 * The store runs in this process; each transfer runs in a fresh child process that reports its own peak RSS
 * (VmHWM, bench/lib/peak-rss.ts) and the RSS it had before transferring (imports, client), so the numbers are the
 * transfer engine's alone. A benchmark, not a test: nothing here asserts.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { peakRssBytes } from "./lib/peak-rss.js";

const HEADS = 8;
const HEAD_DIM = 128;
const LAYERS = 28;
const BYTES_PER_TOKEN = LAYERS * 2 * HEADS * HEAD_DIM * 2; // Qwen3-0.6B, F16

async function child(mode: string, args: string[]): Promise<void> {
  const { createKvcdnClient } = await import("../src/client/index.js");
  const { uploadArtifact } = await import("../src/transfer/upload-artifact.js");
  const { downloadArtifact } = await import("../src/transfer/download-artifact.js");
  const [apiUrl, apiKey, target, dest] = args as [string, string, string, string?];
  const client = createKvcdnClient({ apiUrl, apiKey, env: {}, configPath: false });
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  let result: Record<string, unknown>;
  if (mode === "upload") {
    const a = await uploadArtifact({ client, file: target });
    result = { id: a.id, bytes: a.size_bytes };
  } else {
    const d = await downloadArtifact({ client, source: target, dest: dest as string });
    result = { bytes: d.sizeBytes };
  }
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    JSON.stringify({ ...result, seconds, baselineRssMiB: baseline / 2 ** 20, peakRssMiB: peakRssBytes() / 2 ** 20 }),
  );
}

async function writeBigKv(path: string, mib: number): Promise<number> {
  const { writeSafetensors } = await import("../src/kv/safetensors/write-safetensors.js");
  const { writeSidecar } = await import("../src/kv/sidecar.js");
  const tokens = Math.max(1, Math.round((mib * 2 ** 20) / BYTES_PER_TOKEN));
  const tensors = new Map<string, { dtype: "F16"; shape: number[]; load: () => Uint8Array }>();
  for (let i = 0; i < LAYERS; i++) {
    for (const kind of ["k", "v"]) {
      tensors.set(`${kind}_${i}`, {
        dtype: "F16",
        shape: [1, HEADS, tokens, HEAD_DIM],
        // Random bits with the F16 exponent kept finite; generated one tensor at a time.
        load: () => {
          const bytes = randomFillSync(new Uint8Array(HEADS * tokens * HEAD_DIM * 2));
          for (let j = 1; j < bytes.length; j += 2) bytes[j] = (bytes[j] as number) & 0x3b;
          return bytes;
        },
      });
    }
  }
  const { byteLength } = await writeSafetensors(path, tensors);
  await writeSidecar(path, {
    model_name: "Qwen/Qwen3-0.6B",
    num_layers: LAYERS,
    num_tokens: tokens,
    dtype: "F16",
    storage_dtype: "F16",
    nbytes: byteLength,
    quantized: false,
  });
  return byteLength;
}

function openssl(file: string): number | undefined {
  const t0 = performance.now();
  const r = spawnSync("openssl", ["dgst", "-sha256", file], { encoding: "utf8" });
  return r.status === 0 ? (performance.now() - t0) / 1000 : undefined;
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === "--child-upload" || mode === "--child-download") return child(mode.slice(8), rest);
  const sizes: number[] = [];
  for (let i = 0; i < process.argv.length; i++) if (process.argv[i] === "--mib") sizes.push(Number(process.argv[i + 1]));
  if (sizes.length === 0) sizes.push(256);
  const { startLocalStore } = await import("../src/local-store/index.js");
  const { hashFile } = await import("../src/transfer/hash-file.js");
  const dir = await mkdtemp(join(tmpdir(), "kvcdn-rss-"));
  const store = await startLocalStore({ dataDir: join(dir, "store"), artifactLimit: null });
  const self = fileURLToPath(import.meta.url);
  // Asynchronous: the store answering the child lives in this process's event loop.
  const run = (args: string[]) =>
    new Promise<{ id?: string; bytes: number; seconds: number; baselineRssMiB: number; peakRssMiB: number }>((resolve, reject) => {
      const proc = spawn(process.execPath, ["--import", "tsx", "--expose-gc", self, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
      proc.stderr.on("data", (c: Buffer) => (err += c.toString()));
      proc.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child failed: ${err}`))));
    });
  try {
    console.log(`node ${process.version}, ${process.platform}/${process.arch}; local store over loopback, same disk`);
    console.log("| file | phase | seconds | MiB/s | RSS before (MiB) | peak RSS (MiB) |");
    console.log("|---|---|---|---|---|---|");
    for (const mib of sizes) {
      const file = join(dir, `big-${mib}.kv`);
      const bytes = await writeBigKv(file, mib);
      const label = `${(bytes / 2 ** 20).toFixed(0)} MiB`;
      const t0 = performance.now();
      await hashFile({ file });
      const hashSeconds = (performance.now() - t0) / 1000;
      const sslSeconds = openssl(file);
      console.log(`| ${label} | hashFile (in-process) | ${hashSeconds.toFixed(2)} | ${(bytes / 2 ** 20 / hashSeconds).toFixed(0)} | | |`);
      if (sslSeconds !== undefined) console.log(`| ${label} | openssl dgst -sha256 | ${sslSeconds.toFixed(2)} | ${(bytes / 2 ** 20 / sslSeconds).toFixed(0)} | | |`);
      const up = await run(["--child-upload", store.url, store.apiKey, file]);
      console.log(`| ${label} | upload (hash + PUT + confirm) | ${up.seconds.toFixed(2)} | ${(up.bytes / 2 ** 20 / up.seconds).toFixed(0)} | ${up.baselineRssMiB.toFixed(0)} | ${up.peakRssMiB.toFixed(0)} |`);
      const down = await run(["--child-download", store.url, store.apiKey, up.id as string, join(dir, `down-${mib}.kv`)]);
      console.log(`| ${label} | download (GET + hash + fsync) | ${down.seconds.toFixed(2)} | ${(down.bytes / 2 ** 20 / down.seconds).toFixed(0)} | ${down.baselineRssMiB.toFixed(0)} | ${down.peakRssMiB.toFixed(0)} |`);
      // Baseline on the same URL: curl -o, then openssl's SHA-256 (a second pass over the file).
      const { createKvcdnClient } = await import("../src/client/index.js");
      const admin = createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, env: {}, configPath: false });
      const { download_url } = await admin.createDownloadUrl(up.id as string);
      const curlFile = join(dir, `curl-${mib}.kv`);
      const c0 = performance.now();
      const curl = await new Promise<number | null>((resolve) => spawn("curl", ["-sf", "-o", curlFile, download_url]).on("close", resolve));
      const curlSeconds = (performance.now() - c0) / 1000 + (openssl(curlFile) ?? Number.NaN);
      if (curl === 0) console.log(`| ${label} | baseline: curl -o + openssl dgst | ${curlSeconds.toFixed(2)} | ${(bytes / 2 ** 20 / curlSeconds).toFixed(0)} | | |`);
      await rm(curlFile, { force: true });
      await rm(file, { force: true });
      await rm(join(dir, `down-${mib}.kv`), { force: true });
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
