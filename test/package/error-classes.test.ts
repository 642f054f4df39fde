// One set of error classes for every entry of the built package, in both module formats, and kvcdn's AbortError from
// the .kv readers and writers. Needs dist/ (`npx tsup`); skipped when it is absent.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const built = existsSync(join(root, "dist", "index.cjs")) && existsSync(join(root, "dist", "onnx.cjs"));
const ENTRIES = ["kv", "onnx", "transformers", "local-store", "testing"] as const;

/** A script body run against the package by its own name (package.json `exports` self-reference). */
function script(load: (entry: string) => string): string {
  return `
const root = ${load("kvcdn")};
const entries = { ${ENTRIES.map((e) => `${JSON.stringify(e)}: ${load(`kvcdn/${e}`)}`).join(", ")} };
const out = {};
for (const [entry, mod] of Object.entries(entries)) {
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value !== "function" || !/^[A-Z][A-Za-z]*Error$/.test(name)) continue;
    out[entry + "." + name] = {
      kvcdnError: value.prototype instanceof root.KvcdnError,
      sameAsRoot: root[name] === undefined ? null : root[name] === value,
      guard: typeof mod["is" + name] === "function",
    };
  }
}
const { mkdtempSync } = ${load("node:fs")};
const { join } = ${load("node:path")};
const dir = mkdtempSync(join(${load("node:os")}.tmpdir(), "kvcdn-pkg-abort-"));
const kv = entries.kv;
const cache = { dtype: "F32", layers: [{ key: { dtype: "F32", shape: [1, 1, 1, 2], data: new Float32Array(2) }, value: { dtype: "F32", shape: [1, 1, 1, 2], data: new Float32Array(2) } }] };
const c = new AbortController(); c.abort("stop");
const abort = async (p) => p.then(() => "resolved", (e) => ({ kvcdn: e instanceof root.AbortError, base: e instanceof root.KvcdnError, guard: root.isAbortError(e), dom: typeof DOMException !== "undefined" && e instanceof DOMException }));
(async () => {
  await kv.writeKv(join(dir, "a.kv"), cache);
  out.abortRead = await abort(kv.readKv(join(dir, "a.kv"), { signal: c.signal }));
  out.abortWrite = await abort(kv.writeKv(join(dir, "b.kv"), cache, { signal: c.signal }));
  ${load("node:fs")}.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out));
})();
`;
}

async function run(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root, timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe.skipIf(!built)("error classes of the built package", () => {
  const formats = {
    cjs: () => run(["-e", script((e) => `require(${JSON.stringify(e)})`)]),
    esm: () => run(["--input-type=module", "-e", script((e) => `(await import(${JSON.stringify(e)}))`)]),
  };

  it.each(Object.keys(formats) as Array<keyof typeof formats>)(
    "%s: every entry's error classes are the root's (instanceof KvcdnError across subpaths), each with a guard",
    async (format) => {
      const out = await formats[format]();
      const classes = Object.entries(out).filter(([k]) => k.includes("."));
      expect(classes.map(([k]) => k)).toEqual(
        expect.arrayContaining(["onnx.CompatibilityError", "kv.KvFormatError", "transformers.ModelFolderError", "local-store.LocalStoreError", "testing.FixtureModelError"]),
      );
      for (const [name, facts] of classes) {
        const f = facts as { kvcdnError: boolean; sameAsRoot: boolean | null; guard: boolean };
        expect({ name, ...f }).toEqual({ name, kvcdnError: true, sameAsRoot: f.sameAsRoot === null ? null : true, guard: true });
      }
      for (const op of ["abortRead", "abortWrite"]) expect(out[op], op).toEqual({ kvcdn: true, base: true, guard: true, dom: false });
    },
  );
});
