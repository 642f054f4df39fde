import { spawn } from "node:child_process";
import { createKvcdnClient, type KvcdnClient } from "../../src/index.js";
import { bundledWorker, REPO_ROOT } from "./run-worker.js";

/** A local store running in a child process. */
export interface StoreProcess {
  url: string;
  /** The store's dev key (a throwaway key of a temporary store; never printed). */
  apiKey: string;
  /** A client of this store, for setup and clean-up in the runner (not for the timed SDK runs). */
  client: KvcdnClient;
  /** Stop the store (SIGTERM to the process we started) and wait for it to exit. */
  close(): Promise<void>;
}

/**
 * Start `bench/workers/store-server.ts` with its data under `dataDir` and wait until it listens.
 * @example const store = await startStoreProcess(join(tmp, "store")); try { … } finally { await store.close(); }
 */
export async function startStoreProcess(dataDir: string): Promise<StoreProcess> {
  const script = await bundledWorker("store-server");
  const child = spawn(process.execPath, [script, dataDir], { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (d: string): void => {
      buffer += d;
      const nl = buffer.indexOf("\n");
      if (nl < 0) return;
      child.stdout.off("data", onData);
      child.stdout.resume();
      try {
        const { url, apiKey } = JSON.parse(buffer.slice(0, nl)) as { url: string; apiKey: string };
        const client = createKvcdnClient({ apiUrl: url, apiKey, env: {}, configPath: false });
        resolve({
          url,
          apiKey,
          client,
          close: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            await exited;
          },
        });
      } catch (e) {
        child.kill("SIGTERM");
        reject(e);
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`store process exited early (${code}): ${stderr.trim().slice(-1000)}`)));
  });
}
