// kvcdn/onnx's tokenizer (on @huggingface/tokenizers + @huggingface/jinja) gives exactly what the transformers.js
// version did (AutoTokenizer, mapped onto kvcdn's Tokenizer the way loadTokenizer used to): encode with and without
// special tokens, decode with and without skipping them, and chat templates, on the fixture's Qwen3 tokenizer and on
// a variant that adds special tokens and has named templates (docs/runtime.md#tokenizer-library).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AutoTokenizer } from "@huggingface/transformers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadTokenizer, type ChatMessage, type ChatTemplateOptions, type Tokenizer } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { FIXTURE, makeTempDir } from "./helpers.js";

// Loads Qwen3's 11 MB tokenizer.json four times (two folders, two implementations) and runs a few thousand encodes.
vi.setConfig({ testTimeout: 120_000 });

/** The tokenizer as kvcdn built it on transformers.js 4.3.1 before it moved to @huggingface/tokenizers. */
async function transformersReference(dir: string): Promise<Tokenizer> {
  const inner = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  return {
    encode: (text, opts = {}) => inner.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }),
    decode: (ids, opts = {}) =>
      ids.length === 0 ? "" : inner.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? true }),
    applyChatTemplate: (messages, opts = {}) => {
      const { addGenerationPrompt, ...variables } = opts;
      return inner.apply_chat_template(
        messages.map((m) => ({ ...m })),
        { ...variables, add_generation_prompt: addGenerationPrompt ?? false, tokenize: false },
      ) as string;
    },
  };
}

/** A call's result or its error message, so that both sides may also fail alike. */
function outcome<T>(f: () => T): { value: T } | { error: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const FRAGMENTS = [
  // special and added tokens written in the text
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "<|fim_prefix|>", "<|im_start",
  // whitespace runs
  " ", "  ", "    ", "\t", "\t\t ", "\n", "\n\n", "\r\n", "  \n  ", "\u00a0", "\u3000", "\u200b",
  // numbers
  "0", "7", "42", "12345", "3.14159", "1,000,000", "-17", "0x1F", "1e-9", "２０２４",
  // code
  "function f(x) { return x * 2; }", "def g():\n    return [i ** 2 for i in range(10)]", "if (a && b || !c) {}",
  '<div class="x">', "SELECT * FROM t WHERE id = 1;", "a_b-c.d/e\\f", "```ts\nconst x = 1;\n```",
  // words, contractions, punctuation
  "Hello", "world", "The", "quick brown fox", "I'm", "they'LL", "don't", "It's", "...", "?!", "—", "«quoted»",
  // emoji and symbols
  "😀", "👨‍👩‍👧‍👦", "🇫🇷", "✨", "👍🏽", "∑", "€",
  // CJK, other scripts, combining marks
  "你好，世界", "日本語のテキスト", "한국어", "中文标点。", "مرحبا", "שלום", "Привет", "e\u0301", "A\u030a", "ﬁ", "ǅ",
];

const fragmentText = fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 12 }).map((parts) => parts.join(""));
const anyText = fc.oneof(
  fragmentText,
  fragmentText,
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: fc.constantFrom(" ", "\n", "\t", "a", "1", "<", "|", ">"), maxLength: 30 }),
);

const HAND_PICKED = [
  "", " ", "\n", "How are you doing?", "  leading and trailing  ", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
  "<|endoftext|><|endoftext|>", "<think>\n\n</think>\n\n", "x".repeat(500), "ab ".repeat(200), "🙂".repeat(30),
];

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: "user", content: "How are you doing?" }],
  [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Name a prime." },
  ],
  [
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "<think>\nadd them\n</think>\n\n4" },
    { role: "user", content: "And 3+3?" },
  ],
  [
    { role: "system", content: "Tools are on." },
    { role: "user", content: "Weather in 東京?" },
    { role: "assistant", content: "<tool_call>\n{\"name\": \"weather\"}\n</tool_call>" },
    { role: "tool", content: "sunny, 22°C" },
    { role: "tool", content: "wind 3 m/s" },
    { role: "assistant", content: "Sunny 🌞" },
  ],
];

const TOOLS = [
  { type: "function", function: { name: "weather", description: "Weather of a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
];

const TEMPLATE_OPTIONS: ChatTemplateOptions[] = [
  {},
  { addGenerationPrompt: true },
  { addGenerationPrompt: true, enable_thinking: false },
  { addGenerationPrompt: true, enable_thinking: true },
  { addGenerationPrompt: false, enable_thinking: false },
  { addGenerationPrompt: true, tools: TOOLS },
  { addGenerationPrompt: true, documents: [{ title: "a", text: "b" }], extra_variable: [1, "two", { three: 3 }] },
];

/** The fixture's tokenizer with a post-processor that wraps every text in special tokens and named chat templates. */
async function writeVariant(source: string, dir: string): Promise<void> {
  const json = JSON.parse(await readFile(join(source, "tokenizer.json"), "utf8")) as Record<string, unknown>;
  json["post_processor"] = {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<|im_start|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<|endoftext|>", type_id: 0 } }],
    pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: {
      "<|im_start|>": { id: "<|im_start|>", ids: [151644], tokens: ["<|im_start|>"] },
      "<|endoftext|>": { id: "<|endoftext|>", ids: [151643], tokens: ["<|endoftext|>"] },
    },
  };
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(json));
  const config = JSON.parse(await readFile(join(source, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  config["bos_token"] = { __type: "AddedToken", content: "<|im_start|>", lstrip: false, rstrip: false, normalized: false, special: true };
  config["cls_token"] = "<|object_ref_start|>";
  config["chat_template"] = [
    { name: "default", template: config["chat_template"] },
    { name: "tool_use", template: "{{ bos_token }}{{ cls_token }}|{{ tools | tojson }}|{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}{{ eos_token }}{{ pad_token }}" },
    { name: "plain", template: "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}{{ documents is none }}" },
  ];
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(config));
}

const pairs: Array<{ name: string; ours: Tokenizer; reference: Tokenizer }> = [];
let cleanup: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const fixtureDir = await ensureFixtureModel(FIXTURE);
  const temp = await makeTempDir();
  cleanup = temp.cleanup;
  await writeVariant(fixtureDir, temp.dir);
  for (const [name, dir] of [["qwen3", fixtureDir], ["variant", temp.dir]] as const) {
    pairs.push({ name, ours: await loadTokenizer({ dir }), reference: await transformersReference(dir) });
  }
});
afterAll(async () => {
  await cleanup?.();
});

describe("tokenizer parity with transformers.js 4.3.1", () => {
  it("the variant folder makes the special-token options matter, so the comparisons below can fail", () => {
    const variant = pairs.find((p) => p.name === "variant")!.ours;
    expect(variant.encode("Hi")).toEqual([151644, ...variant.encode("Hi", { addSpecialTokens: false }), 151643]);
    expect(variant.decode(variant.encode("Hi"), { skipSpecialTokens: false })).toBe("<|im_start|>Hi<|endoftext|>");
    expect(variant.decode(variant.encode("Hi"))).toBe("Hi");
  });

  it.each([0, 1])("encodes and decodes hand-picked and a few hundred generated texts alike (folder %i)", (index) => {
    const { ours, reference } = pairs[index]!;
    const check = (text: string) => {
      for (const addSpecialTokens of [true, false]) {
        const ids = outcome(() => ours.encode(text, { addSpecialTokens }));
        expect(ids, JSON.stringify(text)).toEqual(outcome(() => reference.encode(text, { addSpecialTokens })));
        if (!("value" in ids)) continue;
        for (const skipSpecialTokens of [true, false]) {
          expect(ours.decode(ids.value, { skipSpecialTokens })).toBe(reference.decode(ids.value, { skipSpecialTokens }));
        }
      }
      // The defaults: with special tokens, skipping them.
      expect(outcome(() => ours.encode(text))).toEqual(outcome(() => reference.encode(text)));
      expect(ours.decode(ours.encode(text))).toBe(reference.decode(reference.encode(text)));
    };
    HAND_PICKED.forEach(check);
    fc.assert(fc.property(anyText, check), { numRuns: 300, seed: 20260914 + index });
  });

  it("decodes arbitrary id sequences alike, special and out-of-vocabulary ids included", () => {
    const { ours, reference } = pairs[0]!;
    const id = fc.oneof(fc.integer({ min: 0, max: 151642 }), fc.integer({ min: 151643, max: 151668 }), fc.integer({ min: 151669, max: 160000 }));
    fc.assert(
      fc.property(fc.array(id, { maxLength: 40 }), fc.boolean(), (ids, skipSpecialTokens) => {
        expect(outcome(() => ours.decode(ids, { skipSpecialTokens }))).toEqual(outcome(() => reference.decode(ids, { skipSpecialTokens })));
      }),
      { numRuns: 200, seed: 7 },
    );
    expect(outcome(() => ours.decode([1.5]))).toEqual(outcome(() => reference.decode([1.5])));
  });

  it.each([0, 1])("renders every conversation with and without the generation prompt and thinking alike (folder %i)", (index) => {
    const { ours, reference } = pairs[index]!;
    let rendered = 0;
    for (const messages of CONVERSATIONS) {
      for (const options of TEMPLATE_OPTIONS) {
        const text = ours.applyChatTemplate(messages, options);
        expect(text, JSON.stringify({ messages, options })).toBe(reference.applyChatTemplate(messages, options));
        expect(ours.encode(text, { addSpecialTokens: false })).toEqual(reference.encode(text, { addSpecialTokens: false }));
        rendered++;
      }
    }
    expect(rendered).toBe(CONVERSATIONS.length * TEMPLATE_OPTIONS.length);
  });

  it("renders Qwen3's generation prompt with and without thinking as the template says", () => {
    const { ours } = pairs[0]!;
    const messages = CONVERSATIONS[0]!;
    expect(ours.applyChatTemplate(messages)).toBe("<|im_start|>user\nHow are you doing?<|im_end|>\n");
    expect(ours.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(
      "<|im_start|>user\nHow are you doing?<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(ours.applyChatTemplate(messages, { addGenerationPrompt: true, enable_thinking: false })).toBe(
      "<|im_start|>user\nHow are you doing?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    );
  });

  it("picks named templates as transformers.js does: default, tool_use with tools, by name, or a template passed in", () => {
    const { ours, reference } = pairs[1]!;
    const messages = CONVERSATIONS[1]!;
    const choices: ChatTemplateOptions[] = [
      {},
      { tools: TOOLS },
      { chat_template: "plain", addGenerationPrompt: true },
      { chat_template: "plain", tools: TOOLS },
      { chat_template: "{{ messages | length }} {{ eos_token }} {{ add_generation_prompt }}", addGenerationPrompt: true },
      // Options that only matter when transformers.js tokenizes are not template variables.
      { chat_template: "{{ padding is defined }}{{ tokenize is defined }}{{ max_length is defined }}", padding: true, tokenize: true, max_length: 3 },
    ];
    const texts = choices.map((options) => {
      const text = ours.applyChatTemplate(messages, options);
      expect(text, JSON.stringify(options)).toBe(reference.applyChatTemplate(messages, options));
      return text;
    });
    expect(texts[1]).toMatch(/^<\|im_start\|><\|object_ref_start\|>\|\[\{"type": "function"/);
    expect(texts[2]).toBe("[system] You are terse.\n[user] Name a prime.\n[assistant] true");
    expect(texts[4]).toBe("2 <|im_end|> true");
    expect(texts[5]).toBe("falsefalsefalse");
  });
});
