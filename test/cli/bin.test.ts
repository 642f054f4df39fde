// The published entry point: `node dist/cli.js` (built by `npm test` before vitest runs).
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = `${root}dist/cli.js`;
const built = existsSync(cli);

let store: LocalStore | undefined;
beforeAll(async () => {
  if (built) store = await startLocalStore({});
});
afterAll(async () => {
  await store?.close();
});

/** Run the built CLI as a child process (asynchronously: the local store answers from this process). */
function kvcdn(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A clean environment: HOME points nowhere useful so no real config.toml is read.
    execFile(process.execPath, [cli, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", HOME: "/nonexistent", ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

describe.skipIf(!built)("dist/cli.js", () => {
  it("starts with a node shebang and prints the version", async () => {
    expect(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { version: string };
    const r = await kvcdn(["--version"], {});
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("prints valid JSON with --json and exits 0", async () => {
    const s = store as LocalStore;
    const r = await kvcdn(["usage", "--json"], { KVCDN_API_URL: s.url, KVCDN_API_KEY: s.apiKey });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(["used_bytes", "quota_bytes", "artifact_count", "artifact_limit"]);
  });

  it("prints a one-line error and exits 1 without --json output; usage errors exit 2", async () => {
    const s = store as LocalStore;
    const bad = `kv_${"1".repeat(64)}`;
    const r = await kvcdn(["list", "--json"], { KVCDN_API_URL: s.url, KVCDN_API_KEY: bad });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^kvcdn: /);
    expect(r.stderr).not.toContain(bad);
    expect((await kvcdn(["delete", "x"], { KVCDN_API_URL: s.url, KVCDN_API_KEY: s.apiKey })).status).toBe(2);
    expect((await kvcdn(["frobnicate"], {})).status).toBe(2);
  });
});
