import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Artifact } from "../../src/client/index.js";
import { readSidecar } from "../../src/kv/sidecar.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";
import { readVerification } from "../../src/kv/verification-record.js";

// A download over an existing .kv + sidecar, killed (SIGKILL) after each rename in turn: a sidecar left beside the
// .kv must always describe it.
let h: Harness;
let next: Artifact;
let old: { sha256: string };
beforeAll(async () => {
  h = await startHarness();
  // Same shape, different values: the same size, so only the sha256 tells the two files apart.
  old = await writeKvFixture(join(h.dir, "old.kv"), { layers: 2, tokens: 64, seed: 1 });
  const fresh = await writeKvFixture(join(h.dir, "new.kv"), { layers: 2, tokens: 64, seed: 2 });
  next = await h.client.upload(fresh.path, { retry: FAST_RETRY });
});
afterAll(async () => {
  await h.close();
});

function runChild(dir: string, crashAt: number): Promise<NodeJS.Signals | null> {
  const script = join(import.meta.dirname, "..", "kv", "support", "write-kv-crash.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, dir, String(crashAt), "download", h.store.url, next.id], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, KVCDN_API_KEY: h.store.apiKey },
  });
  return new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
}

describe("download crash safety (kill -9 between the renames)", () => {
  it("never leaves the downloaded .kv beside the old sidecar", async () => {
    const outcomes = new Set<string>();
    for (let crashAt = 0; crashAt < 10; crashAt++) {
      const dir = await mkdtemp(join(h.dir, `crash-${crashAt}-`));
      const dest = join(dir, "ctx.kv");
      await writeKvFixture(dest, { layers: 2, tokens: 64, seed: 1 });
      const signal = await runChild(dir, crashAt);
      const actual = createHash("sha256").update(await readFile(dest)).digest("hex");
      const sidecar = await readSidecar(dest);
      if (sidecar !== undefined) expect({ crashAt, sidecar: sidecar.sha256 }).toEqual({ crashAt, sidecar: actual });
      // A finished download also leaves its verification record; whatever the crash point, a record that still holds
      // must describe the bytes on disk.
      const names = (await readdir(dir)).filter((n) => !n.startsWith(".")).sort();
      expect(names.filter((n) => n !== "ctx.kv.verified.json")).toEqual(sidecar ? ["ctx.kv", "ctx.kv.json"] : ["ctx.kv"]);
      const record = await readVerification(dest);
      if (record !== undefined) expect({ crashAt, record: record.sha256 }).toEqual({ crashAt, record: actual });
      outcomes.add(`${actual === old.sha256 ? "old" : actual === next.checksum ? "new" : "other"}:${sidecar ? "pair" : "alone"}`);
      if (signal === null) break;
      expect(signal).toBe("SIGKILL");
    }
    expect(outcomes.has("old:pair")).toBe(true);
    expect(outcomes.has("new:pair")).toBe(true);
    expect(outcomes.has("other:pair") || outcomes.has("other:alone")).toBe(false);
  }, 120_000);
});
