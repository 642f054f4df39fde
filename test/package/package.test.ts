// The published package: `npm pack` contents, publint, attw (node16), and both module formats loading.
// Needs dist/, which vitest's global setup (test/global-setup.ts) builds from the current sources.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";

// npm pack, publint and attw each run for tens of seconds.
vi.setConfig({ testTimeout: 240_000 });

const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  exports: Record<string, unknown>;
  bin: Record<string, string>;
  sideEffects: boolean;
};

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: root, timeout: 120_000, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

const bin = (name: string) => join(root, "node_modules", ".bin", name);

describe("published package", () => {
  it("is built (a missing build fails here instead of skipping the file)", () => {
    expect(existsSync(join(root, "dist", "index.js")) && existsSync(join(root, "dist", "index.cjs"))).toBe(true);
  });

  it("npm pack ships dist for every export (ESM, CJS and both .d.ts) and no sources or tests", async () => {
    const r = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"]);
    expect(r.code).toBe(0);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? [];
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      if (subpath === "./package.json") continue;
      const e = entry as { import: { types: string; default: string }; require: { types: string; default: string } };
      for (const file of [e.import.types, e.import.default, e.require.types, e.require.default]) expect(files).toContain(file.replace(/^\.\//, ""));
    }
    expect(files).toContain(pkg.bin["kvcdn"]?.replace(/^\.\//, ""));
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/") || f.endsWith(".tgz"))).toEqual([]);
    expect(pkg.sideEffects).toBe(false);
  });

  it("passes publint", async () => {
    const r = await run(bin("publint"), []);
    expect(r.stdout + r.stderr).toMatch(/All good/);
    expect(r.code).toBe(0);
  });

  it("passes attw --pack . --profile node16", async () => {
    const r = await run(bin("attw"), ["--pack", ".", "--profile", "node16"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("loads from CommonJS and ESM, with the client and errors exported", async () => {
    // A real call (through openapi-fetch and the retry loop) with an injected fetch: the CJS interop problems show up here.
    const call =
      "const c = k.createKvcdnClient({ apiKey: 'kv_' + 'a'.repeat(64), env: {}, configPath: false, " +
      "fetch: async () => new Response('{\"used_bytes\":7}', { headers: { 'content-type': 'application/json' } }) });" +
      "c.usage().then((u) => console.log(typeof c.list, typeof k.NotFoundError, u.used_bytes, k.VERSION));";
    const cjs = await run(process.execPath, ["-e", `const k = require('./dist/index.cjs'); ${call}`]);
    expect(cjs.stderr).toBe("");
    expect(cjs.stdout.trim()).toMatch(/^function function 7 \d+\.\d+\.\d+/);
    const esmCall = await run(process.execPath, ["--input-type=module", "-e", `const k = await import('./dist/index.js'); ${call}`]);
    expect(esmCall.stderr).toBe("");
    expect(esmCall.stdout.trim()).toMatch(/^function function 7 /);
    const esm = await run(process.execPath, ["--input-type=module", "-e", "const k = await import('./dist/index.js'); console.log(typeof k.createKvcdnClient, typeof k.isKvcdnError, typeof k.resolveConfig)"]);
    expect(esm.stderr).toBe("");
    expect(esm.stdout.trim()).toBe("function function function");
  });

  it("import 'kvcdn' stays light: no heavy runtime is loaded", async () => {
    const probe = [
      "const k = require('./dist/index.cjs');",
      "const heavy = Object.keys(require.cache).filter((p) => /onnxruntime|@huggingface|onnx-proto|protobufjs/.test(p));",
      "console.log(JSON.stringify(heavy));",
    ].join(" ");
    const r = await run(process.execPath, ["-e", probe]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
