import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../src");

/** Every relative import specifier of the .ts files of one src/ folder, as `file: specifier`. */
async function relativeImports(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(SRC, folder))).filter((n) => n.endsWith(".ts"))) {
    const text = await readFile(join(SRC, folder, name), "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) out.push(`${name}: ${m[1]}`);
  }
  return out;
}

describe("layering", () => {
  it("src/errors imports nothing else from src/ (every part may throw its errors)", async () => {
    const imports = await relativeImports("errors");
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !/: \.\/[^/]+$/.test(i))).toEqual([]);
  });

  it("src/transfer depends on the TransferClient interface, never on the concrete client class", async () => {
    const imports = await relativeImports("transfer");
    expect(imports.filter((i) => /client\/(index|kvcdn-client|create-kvcdn-client)\.js$/.test(i))).toEqual([]);
  });

  it("src/util imports only errors", async () => {
    const imports = await relativeImports("util");
    expect(imports.filter((i) => !/: \.\/[^/]+$/.test(i) && !/: \.\.\/errors\//.test(i))).toEqual([]);
  });
});
