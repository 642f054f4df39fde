// The built kvcdn/onnx loads a model folder's tokenizer from CommonJS and ESM with its own dependencies
// (@huggingface/tokenizers, @huggingface/jinja) and never loads transformers.js (docs/runtime.md#tokenizer-library).
// Needs dist/, which vitest's global setup (test/global-setup.ts) builds from the current sources.
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { qwen3TokenizerFiles } from "../../src/peers/load-fixture-peers.js";

// Each case starts a node process that parses Qwen3's 11 MB tokenizer.json.
vi.setConfig({ testTimeout: 60_000 });

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Logs, on stderr, every module URL the ESM loader resolves under a @huggingface/* or onnxruntime package. */
const RESOLVE_HOOK = `import { writeSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (/node_modules\\/(@huggingface\\/[^/]+|onnxruntime-[^/]+)\\//.test(resolved.url)) writeSync(2, "resolved " + resolved.url + "\\n");
  return resolved;
}
`;

let temp: string;
let modelDir: string;
let hook: string;

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "kvcdn-package-tokenizer-"));
  modelDir = join(temp, "model");
  const files = qwen3TokenizerFiles();
  await mkdir(modelDir);
  await copyFile(files.tokenizer, join(modelDir, "tokenizer.json"));
  await copyFile(files.tokenizerConfig, join(modelDir, "tokenizer_config.json"));
  hook = join(temp, "hook.mjs");
  await writeFile(hook, RESOLVE_HOOK);
  await writeFile(join(temp, "register.mjs"), `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hook).href)});\n`);
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", pathToFileURL(join(temp, "register.mjs")).href, ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

/** The script body: load, encode, decode and render; then print the results and the CommonJS modules loaded. */
const use = (dir: string) =>
  `const tok = await onnx.loadTokenizer({ dir: ${JSON.stringify(dir)} });` +
  `const ids = tok.encode("How are you doing?");` +
  `const chat = tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true, enable_thinking: false });` +
  `const cjs = typeof require === "undefined" ? [] : Object.keys(require.cache).filter((p) => /@huggingface|onnxruntime/.test(p)).map((p) => p.replace(/.*node_modules\\//, ""));` +
  `console.log(JSON.stringify({ ids, text: tok.decode(ids), chat, cjs }));`;

const EXPECTED = {
  ids: [4340, 525, 498, 3730, 30],
  text: "How are you doing?",
  chat: "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
};

describe("kvcdn/onnx tokenizer in the built package", () => {
  it("loads from CommonJS with the CJS builds of its dependencies and without transformers.js", async () => {
    const r = await node(["-e", `const onnx = require("./dist/onnx.cjs"); (async () => { ${use(modelDir)} })();`]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as typeof EXPECTED & { cjs: string[] };
    expect(out).toMatchObject(EXPECTED);
    expect(out.cjs.sort()).toEqual(["@huggingface/jinja/dist/index.cjs", "@huggingface/tokenizers/dist/tokenizers.cjs"]);
    expect(r.stderr).not.toMatch(/transformers|onnxruntime/);
  });

  it("loads from ESM with the ESM builds of its dependencies and without transformers.js", async () => {
    const r = await node(["--input-type=module", "-e", `const onnx = await import("./dist/onnx.js"); ${use(modelDir)}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject(EXPECTED);
    const resolved = r.stderr.trim().split("\n").map((line) => line.replace(/.*node_modules\//, "")).sort();
    expect(resolved).toEqual(["@huggingface/jinja/dist/index.js", "@huggingface/tokenizers/dist/tokenizers.mjs"]);
  });
});
