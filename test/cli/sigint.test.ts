// Ctrl-C during a transfer of the built CLI (`node dist/cli.js`, built before vitest runs) against a local store whose
// delay fault holds the transfer open: the process exits with the failure code, leaves no partial file, and deletes
// the pending artifact it created.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RequestKind } from "../../src/local-store/request-kind.js";
import { writeKvFixture } from "../transfer/kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "../transfer/store-harness.js";

const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const built = existsSync(cli);

let h: Harness;
let kv: { path: string; sha256: string; nbytes: number };
beforeAll(async () => {
  h = await startHarness();
  kv = await writeKvFixture(join(h.dir, "ctx.kv"), { layers: 4, tokens: 256, headDim: 64 });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  h.store.faults.clear();
  for (const a of await h.artifacts()) await h.client.delete(a.id);
  h.store.requests.clear();
});

/**
 * Start `kvcdn …args` as a child process, wait until the store has received a request of `kind` (the transfer is then
 * in flight, held by the delay fault, and the CLI's Ctrl-C handler installed), send SIGINT, and collect the exit.
 */
async function interruptAt(kind: RequestKind, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], {
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: "/nonexistent",
      KVCDN_API_URL: h.store.url,
      KVCDN_API_KEY: h.store.apiKey,
      KVCDN_CDN_URL: h.store.cdnUrl,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  await vi.waitFor(() => expect(h.store.requests.count(kind)).toBeGreaterThan(0), { timeout: 20_000, interval: 20 });
  child.kill("SIGINT");
  return { ...(await exited), stderr };
}

describe.skipIf(!built)("Ctrl-C during a CLI transfer", () => {
  it("upload: exits 1 with an abort message, and the pending artifact it created is deleted", async () => {
    h.store.faults.inject({ on: "put", action: "delay", ms: 30_000 });
    const r = await interruptAt("put", ["upload", kv.path]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kvcdn: .*aborted/m);
    expect(h.store.requests.count("createUploadUrl")).toBe(1);
    expect(h.store.requests.count("deleteArtifact")).toBe(1);
    expect(await h.artifacts()).toEqual([]);
  });

  it("download: exits 1 and leaves neither the destination nor a temp file", async () => {
    const artifact = await h.client.upload(kv.path, { retry: FAST_RETRY });
    h.store.requests.clear();
    const out = await mkdtemp(join(h.dir, "out-"));
    h.store.faults.inject({ on: "get", action: "delay", ms: 30_000 });
    const r = await interruptAt("get", ["download", artifact.id, "-o", join(out, "ctx.kv")]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kvcdn: .*aborted/m);
    expect(await readdir(out)).toEqual([]);
    // The artifact itself is untouched: a download never deletes anything.
    expect((await h.artifacts()).map((a) => [a.id, a.status])).toEqual([[artifact.id, "ready"]]);
  });
});
