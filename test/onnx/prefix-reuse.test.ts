import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { writeKv } from "../../src/kv/index.js";
import { CacheInputError } from "../../src/errors/index.js";
import {
  longestCommonPrefix,
  produceCache,
  resumeFromPrefix,
  reusablePrefix,
  type OnnxModel,
} from "../../src/onnx/index.js";
import { fullPrefillGreedy, LONG_TEXT, loadTinyModel, makeTempDir } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let model: OnnxModel;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let ids: number[];
let kvPath: string;
const N = 5;
const CACHED = 37;

beforeAll(async () => {
  model = await loadTinyModel();
  tmp = await makeTempDir();
  ids = model.tokenizer.encode(LONG_TEXT);
  kvPath = join(tmp.dir, "ctx.kv");
  await produceCache({ model, contextTokens: ids.slice(0, CACHED), output: kvPath });
});
afterAll(async () => {
  await model?.dispose();
  await tmp?.cleanup();
});

describe("longestCommonPrefix and reusablePrefix", () => {
  it("counts the shared leading ids", () => {
    expect(longestCommonPrefix([1, 2, 3, 4], [1, 2, 9])).toBe(2);
    expect(longestCommonPrefix([], [1])).toBe(0);
    expect(longestCommonPrefix([5, 6], [5, 6])).toBe(2);
  });

  it("always leaves at least one prompt token to run", () => {
    expect(reusablePrefix([1, 2, 3], [1, 2, 3])).toBe(2);
    expect(reusablePrefix([1, 2, 3], [1, 2, 3, 4])).toBe(3);
    expect(reusablePrefix([1, 2, 3, 4], [1, 2])).toBe(1);
    expect(reusablePrefix([1], [2])).toBe(0);
  });
});

describe("resumeFromPrefix", () => {
  const cases: Array<[string, () => number[], number]> = [
    ["a prompt that diverges inside the cache", () => [...ids.slice(0, 20), ...ids.slice(60, 70)], 20],
    ["a prompt that extends the whole cache", () => [...ids.slice(0, CACHED), ...ids.slice(80, 84)], CACHED],
    ["a prompt equal to the cached tokens (the last one is re-run)", () => ids.slice(0, CACHED), CACHED - 1],
    ["a prompt shorter than the cache", () => ids.slice(0, 12), 11],
    ["a prompt with nothing in common (plain prefill)", () => ids.slice(50, 58), 0],
  ];
  for (const [name, prompt, expectedPrefix] of cases) {
    it(`equals a full prefill for ${name}`, async () => {
      const promptTokens = prompt();
      let plan: { prefixTokens: number } | undefined;
      const out = await resumeFromPrefix({
        model,
        kv: kvPath,
        promptTokens,
        maxNewTokens: N,
        ignoreEos: true,
        onPrefix: (p) => (plan = p),
      }).collect();
      expect(plan?.prefixTokens).toBe(expectedPrefix);
      expect(out.cachedTokens).toBe(expectedPrefix);
      expect(out.prefillTokens).toBe(promptTokens.length - expectedPrefix);
      expect(out.tokens).toEqual((await fullPrefillGreedy(model, promptTokens, N)).tokens);
    });
  }

  it("matches a text prompt tokenized like the context", async () => {
    const prompt = LONG_TEXT.slice(0, 120) + " and what else?";
    const out = await resumeFromPrefix({ model, kv: kvPath, prompt, maxNewTokens: N, ignoreEos: true }).collect();
    const promptTokens = model.tokenizer.encode(prompt);
    expect(out.cachedTokens).toBe(reusablePrefix(ids.slice(0, CACHED), promptTokens));
    expect(out.cachedTokens).toBeGreaterThan(10);
    expect(out.tokens).toEqual((await fullPrefillGreedy(model, promptTokens, N)).tokens);
  });

  it("refuses a cache whose sidecar has no tokens, saying how to fix it", async () => {
    const { cache } = await produceCache({ model, contextTokens: ids.slice(0, 8) });
    const bare = join(tmp.dir, "bare.kv");
    await writeKv(bare, cache, { sidecar: { model_name: model.modelId } });
    const error = await resumeFromPrefix({ model, kv: bare, promptTokens: ids.slice(0, 10) }).collect().catch((e) => e);
    expect(error).toBeInstanceOf(CacheInputError);
    expect(error.code).toBe("no_tokens");
    expect(error.message).toMatch(/kvcdn generate/);
  });
});

describe("chat templates (only when asked)", () => {
  it("caches a system turn and continues a templated conversation from it, equal to a full prefill", async () => {
    const system = { role: "system", content: "You answer questions about key-value caches." };
    const kv = join(tmp.dir, "chat.kv");
    const { metadata } = await produceCache({ model, messages: [system], output: kv });
    expect(metadata.prompt).toBe("<|im_start|>system\nYou answer questions about key-value caches.<|im_end|>\n");
    expect(metadata.tokens![0]).toBe(151644); // <|im_start|>
    const messages = [system, { role: "user", content: "What is stored?" }];
    const out = await resumeFromPrefix({
      model,
      kv,
      messages,
      chatTemplate: { enable_thinking: false },
      maxNewTokens: N,
      ignoreEos: true,
    }).collect();
    const rendered = model.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, enable_thinking: false });
    expect(rendered.endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n")).toBe(true);
    const promptTokens = model.tokenizer.encode(rendered, { addSpecialTokens: false });
    expect(out.cachedTokens).toBe(metadata.num_tokens);
    expect(out.tokens).toEqual((await fullPrefillGreedy(model, promptTokens, N)).tokens);
  });
});
