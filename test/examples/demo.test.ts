import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createKvcdnClient } from "../../src/index.js";
import { startLocalStore } from "../../src/local-store/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { describeRun, runScript } from "./run-script.js";

const DEMO = "scripts/demo.ts";

// Each test spawns tsx and runs a model: generous timeouts for a busy 2-core CI (no timing is asserted).
describe("npm run demo (scripts/demo.ts)", { timeout: 240_000 }, () => {
  it("runs the main job offline with nothing set: local store, fixture model, produce, share, consume, verify", async () => {
    const run = await runScript(DEMO);
    expect(run.code, describeRun(run)).toBe(0);
    const steps = [
      "Start a local KV Cache Store in-process",
      "Make (or reuse) the tiny Qwen3 fixture model and load it",
      "Produce a prompt cache from",
      "Upload it",
      "List it",
      "Make it public",
      "Download it privately, by id",
      "Download it publicly, by CDN URL",
      "Resume generation from the downloaded cache",
      "Verify against a full prefill",
    ];
    let at = 0;
    for (const [i, title] of steps.entries()) {
      const next = run.stdout.indexOf(`${i + 1}. ${title}`, at);
      expect(next, `step ${i + 1} "${title}" in order\n${run.stdout}`).toBeGreaterThan(at - 1);
      at = next;
    }
    expect(run.stdout).toContain("sha256 verified");
    expect(run.stdout).toContain("identical to the private copy");
    expect(run.stdout).toContain("match: all 16 greedy tokens identical");
    expect(run.stdout).toMatch(/time to first token +from the cache [\d.]+ m?s, full prefill [\d.]+ m?s \([\d.]+x\)/);
    expect(run.stdout.trimEnd().endsWith("demo: ok")).toBe(true);
    // Progress goes to stderr, one line per finished phase when stderr is not a terminal.
    for (const phase of ["[upload] hashing", "[upload] uploading", "[upload] confirming", "[private] downloading", "[public] verifying"]) {
      expect(run.stderr).toContain(phase);
    }
    expect(run.stdout).not.toMatch(/kv_[0-9a-f]{64}/);
    expect(run.leftovers, "temp folders left behind").toEqual([]);
  });

  it("uses the service in KVCDN_API_URL / KVCDN_API_KEY and a model folder given with --model, and deletes its artifact", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "demo-remote-store-"));
    const store = await startLocalStore({ port: 0, dataDir });
    try {
      const model = await ensureFixtureModel({ shape: "tiny", seed: 7 });
      const run = await runScript(DEMO, ["--model", model, "--dtype", "fp32", "-n", "4"], {
        KVCDN_API_URL: store.url,
        KVCDN_API_KEY: store.apiKey,
        KVCDN_CDN_URL: store.cdnUrl,
      });
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.stdout).toContain("1. Connect to the KV Cache Store service");
      expect(run.stdout).toContain(`API ${store.url}`);
      expect(run.stdout).toContain(`Load the model in ${model}`);
      expect(run.stdout).toContain("match: all 4 greedy tokens identical");
      expect(run.stdout).not.toContain(store.apiKey);
      // It really went through this store: one upload, downloads by presigned GET and CDN, then the delete.
      expect(store.requests.count("createUploadUrl")).toBe(1);
      expect(store.requests.count("put")).toBe(1);
      expect(store.requests.count("get")).toBeGreaterThan(0);
      expect(store.requests.count("cdn")).toBeGreaterThan(0);
      expect(store.requests.count("deleteArtifact")).toBe(1);
      const client = createKvcdnClient({ apiUrl: store.url, apiKey: store.apiKey, configPath: false, env: {} });
      expect(await client.listAll()).toEqual([]);
      expect(run.leftovers).toEqual([]);
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("exits 1 with one clear line when a step fails (a model folder without a model)", async () => {
    const empty = await mkdtemp(join(tmpdir(), "demo-empty-model-"));
    try {
      const run = await runScript(DEMO, ["--model", empty]);
      expect(run.code, describeRun(run)).toBe(1);
      expect(run.stderr).toMatch(/demo failed: ModelFolderError: .*config\.json/);
      expect(run.stdout).not.toContain("demo: ok");
      expect(run.leftovers).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("exits 2 with the usage on a bad flag", async () => {
    const run = await runScript(DEMO, ["--tokens", "0"]);
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toContain("--tokens must be a positive integer");
    expect(run.stderr).toContain("usage: npm run demo -- [options]");
  });
});
