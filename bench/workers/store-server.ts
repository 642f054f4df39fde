/**
 * The local store in its own process, so the process being measured (our SDK, curl) never shares an event loop or a
 * heap with the server. Prints one JSON line `{ url, apiKey, pid }`, then serves until SIGTERM/SIGINT or until its
 * stdin closes (the runner died).
 *
 *   node bench/out/…/store-server.mjs <dataDir>   (bundled by bench/lib/run-worker.ts)
 */
import { startLocalStore } from "../../src/local-store/index.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: store-server.ts <dataDir>");
// No plan limits: benchmarks create hundreds of artifacts and multi-GiB objects.
const store = await startLocalStore({ dataDir, artifactLimit: null, quotaBytes: null });
let closing = false;
const close = async (): Promise<void> => {
  if (closing) return;
  closing = true;
  await store.close().catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", () => void close());
process.on("SIGINT", () => void close());
process.stdin.on("end", () => void close());
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ url: store.url, apiKey: store.apiKey, pid: process.pid })}\n`);
