import { execFile } from "node:child_process";
import { cp, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFolderError } from "../../src/errors/index.js";
import { loadModel, readModelFolder } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { makeTempDir } from "./helpers.js";
import { runKvcdn } from "../cli/run-kvcdn.js";

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let complete: string;
let missing: string;
let truncated: string;

beforeAll(async () => {
  const external = await ensureFixtureModel({ shape: "tiny", seed: 3, externalData: true });
  tmp = await makeTempDir();
  // Real copies: the fixture cache's files are shared (hard links) and must not change.
  complete = join(tmp.dir, "complete");
  missing = join(tmp.dir, "missing");
  truncated = join(tmp.dir, "truncated");
  for (const dir of [complete, missing, truncated]) await cp(external, dir, { recursive: true });
  await rm(join(missing, "onnx/model.onnx_data"));
  await truncate(join(truncated, "onnx/model.onnx_data"), 1000);
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe("the external data a graph names is checked before any runtime opens it", () => {
  it("lists the graph and its external data as the weight files of a complete folder", async () => {
    const info = await readModelFolder({ dir: complete });
    expect(info.weightFiles).toEqual([join(complete, "onnx/model.onnx"), join(complete, "onnx/model.onnx_data")]);
  });

  it("names the missing .onnx_data in a ModelFolderError (readModelFolder and loadModel)", async () => {
    for (const load of [readModelFolder, loadModel]) {
      const error = await load({ dir: missing }).catch((e) => e);
      expect(error).toBeInstanceOf(ModelFolderError);
      expect(error.missing).toEqual(["onnx/model.onnx_data"]);
      expect(error.message).toMatch(/missing onnx\/model\.onnx_data: the external data \(weights\) onnx\/model\.onnx names/);
    }
  });

  it("names the fp16 variant's missing model_fp16.onnx_data (builder layout)", async () => {
    const builder = await ensureFixtureModel({ shape: "tiny", seed: 7, layout: "builder", variants: ["fp16"] });
    const dir = join(tmp.dir, "builder-fp16");
    await cp(builder, dir, { recursive: true });
    expect((await readModelFolder({ dir, dtype: "fp16" })).weightFiles.map((f) => f.slice(dir.length + 1))).toEqual([
      "onnx/model_fp16.onnx",
      "onnx/model_fp16.onnx_data",
    ]);
    await rm(join(dir, "onnx/model_fp16.onnx_data"));
    const error = await loadModel({ dir, dtype: "fp16" }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect(error.missing).toEqual(["onnx/model_fp16.onnx_data"]);
  });

  it("refuses a truncated .onnx_data", async () => {
    const error = await readModelFolder({ dir: truncated }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect(error.message).toMatch(/onnx\/model\.onnx_data \(1000 bytes; the graph reads up to byte \d+\)/);
  });

  it("the CLI prints the ModelFolderError, not onnxruntime's message", async () => {
    const { code, stderr } = await runKvcdn(["generate", "--model", missing, "--context", "Hi", "-o", join(tmp.dir, "x.kv")]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing onnx\/model\.onnx_data/);
    expect(stderr).not.toMatch(/onnxruntime|ORT|Load model/i);
  });

  it("loadTransformersModel rejects with a catchable ModelFolderError and the process lives on", async () => {
    // In a child process: the failure this guards against was an exception thrown inside transformers.js that no
    // try/catch reaches, which ends the process.
    const script = join(tmp.dir, "load-missing.mts");
    await writeFile(
      script,
      `import { loadTransformersModel } from ${JSON.stringify(join(process.cwd(), "src/transformers/index.ts"))};\n` +
        `process.on("uncaughtException", (e) => { console.log("uncaught " + e.message); process.exit(3); });\n` +
        `try { await loadTransformersModel({ dir: ${JSON.stringify(missing)} }); console.log("loaded"); }\n` +
        `catch (e) { console.log(e.name + " " + JSON.stringify(e.missing)); }\n` +
        `await new Promise((r) => setTimeout(r, 300));\nconsole.log("alive");\n`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], { cwd: process.cwd() });
    expect(stdout.trim().split("\n")).toEqual(['ModelFolderError ["onnx/model.onnx_data"]', "alive"]);
  });
});
