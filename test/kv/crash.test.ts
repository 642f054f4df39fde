import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKv, readSidecar, writeKv } from "../../src/kv/index.js";
import { crashCache } from "./support/crash-cache.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "kvcdn-kv-crash-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Run the writer child; it rewrites ctx.kv (values 2, sidecar "new") and SIGKILLs itself after rename `crashAt`. */
function runChild(dir: string, crashAt: number, mode: "cli" | "ext"): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "support", "write-kv-crash.ts"), dir, String(crashAt), mode], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.once("exit", (_code, signal) => resolve({ signal, out })));
}

/** Which version (1 = old, 2 = new) the file holds, read without its sidecar. */
async function versionOfFile(path: string): Promise<number> {
  const { cache } = await readKv(path, { verifySha256: false });
  return (cache.layers[0]!.key.data as Float32Array)[0]!;
}

describe("writeKv crash safety (kill -9 between the renames)", () => {
  // cliCompatible sidecars carry no sha256, and both versions have the same size: only the commit order keeps a
  // reader from pairing the new file with the old sidecar.
  for (const mode of ["cli", "ext"] as const) {
    it(`never leaves the new .kv beside the old sidecar (${mode} sidecars)`, async () => {
      const seen = new Set<string>();
      for (let crashAt = 0; ; crashAt++) {
        const dir = await mkdtemp(join(root, `${mode}-${crashAt}-`));
        await writeKv(join(dir, "ctx.kv"), crashCache(1), { sidecar: { model_name: "old" }, cliCompatible: mode === "cli" });
        const { signal, out } = await runChild(dir, crashAt, mode);
        const file = join(dir, "ctx.kv");
        const version = await versionOfFile(file);
        const sidecar = await readSidecar(file);
        if (sidecar !== undefined) {
          // A sidecar present must describe this file: "old" beside version 1, "new" beside version 2.
          expect({ crashAt, sidecar: sidecar.model_name }).toEqual({ crashAt, sidecar: version === 1 ? "old" : "new" });
          await expect(readKv(file)).resolves.toBeDefined();
        }
        seen.add(`${version}:${sidecar?.model_name ?? "none"}`);
        // No visible file other than the pair (crash leftovers are hidden .tmp names).
        expect((await readdir(dir)).filter((n) => !n.endsWith(".tmp") && !n.endsWith(".verified.json")).sort()).toEqual(sidecar ? ["ctx.kv", "ctx.kv.json"] : ["ctx.kv"]);
        if (signal === null) {
          expect(out).toMatch(/^done/);
          expect(version).toBe(2);
          expect(sidecar?.model_name).toBe("new");
          break;
        }
        expect(signal).toBe("SIGKILL");
        expect(crashAt).toBeLessThan(10);
      }
      // The old pair and the new pair both occur as crash outcomes.
      expect(seen.has("1:old")).toBe(true);
      expect(seen.has("2:new")).toBe(true);
    }, 60_000);
  }
});
