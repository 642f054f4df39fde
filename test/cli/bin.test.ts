// The published entry point: `node dist/cli.js` (built by vitest's global setup, test/global-setup.ts).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { BUILT_CLI, runBuiltKvcdn } from "./run-kvcdn.js";

// Starts and kills child processes (a store, the built CLI): slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = BUILT_CLI;

let store: LocalStore | undefined;
beforeAll(async () => {
  store = await startLocalStore({});
});
afterAll(async () => {
  await store?.close();
});

describe("dist/cli.js", () => {
  it("is built (a missing build fails here instead of skipping the file)", () => {
    expect(existsSync(cli)).toBe(true);
  });

  it("starts with a node shebang and prints the version", async () => {
    expect(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { version: string };
    const r = await runBuiltKvcdn(["--version"], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("prints valid JSON with --json and exits 0", async () => {
    const s = store as LocalStore;
    const r = await runBuiltKvcdn(["usage", "--json"], { KVCDN_API_URL: s.url, KVCDN_API_KEY: s.apiKey });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(["used_bytes", "quota_bytes", "artifact_count", "artifact_limit"]);
  });

  it("prints a one-line error and exits 1 without --json output; usage errors exit 2", async () => {
    const s = store as LocalStore;
    const bad = `kv_${"1".repeat(64)}`;
    const r = await runBuiltKvcdn(["list", "--json"], { KVCDN_API_URL: s.url, KVCDN_API_KEY: bad });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^kvcdn: /);
    expect(r.stderr).not.toContain(bad);
    expect((await runBuiltKvcdn(["delete", "x"], { KVCDN_API_URL: s.url, KVCDN_API_KEY: s.apiKey })).code).toBe(2);
    expect((await runBuiltKvcdn(["frobnicate"], {})).code).toBe(2);
  });
});
