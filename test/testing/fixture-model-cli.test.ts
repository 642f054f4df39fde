// `kvcdn fixture-model DIR` writes the folder createFixtureModel writes and reports it; bad flags are usage errors.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runKvcdn } from "../cli/run-kvcdn.js";
import { ensureFixtureModel, FIXTURE_SHAPES } from "../../src/testing/index.js";

// Generates fixture model folders (weights, ONNX graphs) and hashes them: seconds each, more on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const cli = (...args: string[]) => runKvcdn(args);

const sha256 = async (path: string): Promise<string> => createHash("sha256").update(await readFile(path)).digest("hex");

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "kvcdn-fixture-cli-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("kvcdn fixture-model", () => {
  it("--json writes the tiny folder and prints its shape, config and file sizes", async () => {
    const dir = join(scratch, "tiny");
    const { code, stdout, stderr } = await cli("fixture-model", dir, "--seed", "1", "--json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, unknown> & { files: Record<string, number> };
    expect(Object.keys(result)).toEqual(["dir", "shape", "seed", "external_data", "layout", "variants", "rotary", "config", "files", "seconds"]);
    expect(result).toMatchObject({ layout: "plain", variants: [], rotary: null });
    expect(result).toMatchObject({ dir, shape: "tiny", seed: 1, external_data: false, config: FIXTURE_SHAPES.tiny });
    expect(result.files["model.safetensors"]).toBe((await stat(join(dir, "model.safetensors"))).size);
    // The same bytes as the library makes for the same shape and seed.
    const cached = await ensureFixtureModel({ shape: "tiny", seed: 1 });
    for (const file of ["onnx/model.onnx", "model.safetensors", "config.json"]) {
      expect(await sha256(join(dir, file)), file).toBe(await sha256(join(cached, file)));
    }
  });

  it("prints a readable summary without --json and honours --external-data", async () => {
    const dir = join(scratch, "external");
    const { code, stdout } = await cli("fixture-model", dir, "--external-data");
    expect(code).toBe(0);
    expect(stdout).toContain(`model:   ${dir}`);
    expect(stdout).toMatch(/onnx\/model\.onnx_data\s+\d+ bytes/);
    expect(JSON.parse(await readFile(join(dir, "config.json"), "utf8"))["transformers.js_config"]).toEqual({ use_external_data_format: true });
  });

  it("--layout builder --variant q4f16,fp16 --rotary fused writes those graphs, byte-identical to the library's", async () => {
    const dir = join(scratch, "builder");
    const { code, stdout } = await cli("fixture-model", dir, "--layout", "builder", "--variant", "q4f16,fp16", "--rotary", "fused", "--json");
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Record<string, unknown> & { files: Record<string, number> };
    expect(result).toMatchObject({ layout: "builder", variants: ["fp16", "q4f16"], rotary: "fused", external_data: true });
    expect(Object.keys(result.files).filter((f) => f.startsWith("onnx/")).sort()).toEqual([
      "onnx/model_fp16.onnx",
      "onnx/model_fp16.onnx_data",
      "onnx/model_q4f16.onnx",
    ]);
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config["transformers.js_config"]).toEqual({ use_external_data_format: { "model_fp16.onnx": true } });
    const cached = await ensureFixtureModel({ shape: "tiny", layout: "builder", variants: ["fp16", "q4f16"], rotary: "fused" });
    for (const file of ["onnx/model_q4f16.onnx", "onnx/model_fp16.onnx", "onnx/model_fp16.onnx_data", "config.json"]) {
      expect(await sha256(join(dir, file)), file).toBe(await sha256(join(cached, file)));
    }
  });

  it("refuses a non-empty folder with a one-line error and exit 1", async () => {
    const dir = join(scratch, "tiny-again");
    expect((await cli("fixture-model", dir)).code).toBe(0);
    const { code, stderr } = await cli("fixture-model", dir);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^kvcdn: .*not empty/);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it.each([
    ["an unknown shape", ["--shape", "huge"]],
    ["a negative seed", ["--seed", "-3"]],
    ["a non-numeric seed", ["--seed", "abc"]],
    ["an unknown layout", ["--layout", "fancy"]],
    ["an unknown variant", ["--layout", "builder", "--variant", "q4,q8"]],
    ["a variant without the builder layout", ["--variant", "q4"]],
    ["an unknown rotary mode", ["--layout", "builder", "--rotary", "inline"]],
    ["--external-data with the builder layout", ["--layout", "builder", "--external-data"]],
  ])("%s is a usage error (exit 2) and writes nothing", async (_, flags) => {
    const dir = join(scratch, `usage-${flags.join("")}`);
    const { code } = await cli("fixture-model", dir, ...flags);
    expect(code).toBe(2);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
  });
});
