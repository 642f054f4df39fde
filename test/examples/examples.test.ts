import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createKvcdnClient } from "../../src/index.js";
import { startLocalStore } from "../../src/local-store/index.js";
import { describeRun, REPO, runScript } from "./run-script.js";

/** Every runnable example; `setup.ts` is the shared helper they import. */
const EXAMPLES = ["download-and-resume.ts", "generate-and-upload.ts", "manage.ts", "transformers-js.ts"];

// Each test spawns tsx and runs a model: generous timeouts for a busy 2-core CI (no timing is asserted).
describe("examples/", { timeout: 240_000 }, () => {
  it("are the ones this file runs", async () => {
    const files = (await readdir(join(REPO, "examples"))).filter((f) => f.endsWith(".ts") && f !== "setup.ts");
    expect(files.sort()).toEqual(EXAMPLES);
  });

  it("download-and-resume.ts runs on its own: publishes a sample, fetches it by id and by CDN URL, resumes from the reference", async () => {
    const run = await runScript("examples/download-and-resume.ts");
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toMatch(/fetched [0-9a-f-]{36} into .*\/cache\/blobs\/[0-9a-f]{64}\.kv \(\d+ bytes, downloaded: true\)/);
    expect(run.stdout).toMatch(/fetched http:\/\/127\.0\.0\.1:\d+\/cdn\/dev\/default\/[0-9a-f-]{36} \(same blob: true, downloaded: false\)/);
    expect(run.stdout).toContain("Q: Who must be on the radio when a boat leaves?\nA:");
    expect(run.stdout).toMatch(/\((\d+) cached tokens reused, first token after [\d.]+ ms\)/);
    expect(run.leftovers).toEqual([]);
  });

  it("transformers-js.ts runs on its own: produces with a transformers.js forward, shares, seeds generate()", async () => {
    const run = await runScript("examples/transformers-js.ts");
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain("Q: How much fuel does the station keep?\nA:");
    const reused = /\((\d+) cached tokens reused, (\d+) generated\)/.exec(run.stdout);
    expect(reused, run.stdout).not.toBeNull();
    expect(Number(reused![1])).toBeGreaterThan(300); // the whole sample context
    expect(Number(reused![2])).toBeGreaterThan(0);
    expect(run.leftovers).toEqual([]);
  });

  it("manage.ts runs on its own: list, search, visibility, usage, whoami, delete", async () => {
    const run = await runScript("examples/manage.ts");
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toMatch(/[0-9a-f-]{36} {2}Support playbook {2}Qwen\/Qwen3-0\.6B {2}\d+ B {2}private/);
    expect(run.stdout).toContain('search "refund": Support playbook\n');
    expect(run.stdout).toMatch(/Support playbook is public: http:\/\/127\.0\.0\.1:\d+\/cdn\/dev\/default\/[0-9a-f-]{36}/);
    expect(run.stdout).toMatch(/using \d+ of \d+ bytes, 2 of 20 artifacts/);
    expect(run.stdout).toContain("customer_id: 'dev'");
    expect(run.stdout).toContain("after delete: not found");
    expect(run.leftovers).toEqual([]);
  });

  it("generate-and-upload.ts then download-and-resume.ts ID share one cache through the store in KVCDN_API_URL", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "examples-store-"));
    const store = await startLocalStore({ port: 0, dataDir });
    try {
      const env = { KVCDN_API_URL: store.url, KVCDN_API_KEY: store.apiKey, KVCDN_CDN_URL: store.cdnUrl };
      const produced = await runScript("examples/generate-and-upload.ts", [], env);
      expect(produced.code, describeRun(produced)).toBe(0);
      expect(produced.stderr).toContain("uploading");
      const id = /uploaded artifact ([0-9a-f-]{36}): ready, private, sha256 [0-9a-f]{64}/.exec(produced.stdout)?.[1];
      expect(id, produced.stdout).toBeDefined();
      const client = createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, configPath: false, env: {} });
      const artifact = await client.get(id!);
      expect(artifact).toMatchObject({ status: "ready", visibility: "private", name: "Harbor Station handbook" });
      expect(produced.stdout).toContain(`sha256 ${artifact.checksum}`);

      const consumed = await runScript("examples/download-and-resume.ts", [id!], env);
      expect(consumed.code, describeRun(consumed)).toBe(0);
      expect(consumed.stdout).toContain(`fetched ${id} into `);
      expect(consumed.stdout).toContain(`artifact ${id} is private: no public download`);
      expect(consumed.stdout).toMatch(/cached tokens reused/);
      // The consumer published nothing of its own: the producer's artifact is the only one.
      expect((await client.listAll()).map((a) => a.id)).toEqual([id]);
      expect([...produced.leftovers, ...consumed.leftovers]).toEqual([]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
