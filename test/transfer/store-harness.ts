import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKvcdnClient, type Artifact, type KvcdnClient } from "../../src/client/index.js";
import { startLocalStore, type LocalStore, type LocalStoreOptions } from "../../src/local-store/index.js";

/** A local store with fault injection, a client for its dev key, and a scratch directory. */
export interface Harness {
  store: LocalStore;
  client: KvcdnClient;
  dir: string;
  /** Every artifact of the dev organization (pending ones included). */
  artifacts: () => Promise<Artifact[]>;
  /** Files in `dir` (sorted), to check that nothing partial was left behind. */
  files: (sub?: string) => Promise<string[]>;
  close: () => Promise<void>;
}

/** Short delays everywhere so fault tests stay fast. */
export const FAST_RETRY = { limit: 4, delay: () => 1 };

export async function startHarness(
  options: LocalStoreOptions = {},
  retry: { limit: number; delay: () => number } = { limit: 3, delay: () => 1 },
): Promise<Harness> {
  const store = await startLocalStore({ faults: true, ...options });
  const client = createKvcdnClient({
    apiUrl: store.url,
    apiKey: store.apiKey,
    cdnUrl: store.cdnUrl,
    configPath: false,
    env: {},
    retry,
    logger: { warn: () => undefined },
  });
  const dir = await mkdtemp(join(tmpdir(), "kvcdn-transfer-"));
  return {
    store,
    client,
    dir,
    artifacts: () => client.listAll({ scope: "org" }),
    files: async (sub) => (await readdir(sub === undefined ? dir : join(dir, sub))).sort(),
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
