// loadTokenizer on small hand-written folders: the ModelFolderError of every missing or unusable file, chat-template
// errors at render time, and the per-folder cache that reloads when a file changes (docs/runtime.md#tokenizer-library).
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ModelFolderError } from "../../src/errors/index.js";
import { loadTokenizer } from "../../src/onnx/index.js";
import { makeTempDir } from "./helpers.js";

vi.setConfig({ testTimeout: 30_000 });

/** A word-level tokenizer of five words and one special token: enough to tell tokenizers apart, quick to load. */
const TOKENIZER_JSON = {
  model: { type: "WordLevel", vocab: { hello: 0, world: 1, again: 2, "[UNK]": 3, "<eos>": 4 }, unk_token: "[UNK]" },
  normalizer: null,
  pre_tokenizer: { type: "Whitespace" },
  post_processor: null,
  decoder: null,
  added_tokens: [{ id: 4, content: "<eos>", special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }],
};
const CONFIG = { eos_token: "<eos>", chat_template: "{% for m in messages %}{{ m.content }} {% endfor %}{{ eos_token }}" };

let root: string;
let cleanup: () => Promise<void>;
let count = 0;

/** A new folder with the given files (objects are written as JSON). */
async function folder(files: Record<string, unknown>): Promise<string> {
  const dir = join(root, `m${count++}`);
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  return dir;
}

async function folderError(files: Record<string, unknown>): Promise<ModelFolderError> {
  const error = await loadTokenizer({ dir: await folder(files) }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ModelFolderError);
  return error as ModelFolderError;
}

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir());
});
afterAll(async () => {
  await cleanup();
});

describe("loadTokenizer", () => {
  it("encodes, decodes and renders the folder's chat template", async () => {
    const tok = await loadTokenizer({ dir: await folder({ "tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": CONFIG }) });
    expect(tok.encode("hello world <eos>")).toEqual([0, 1, 4]);
    expect(tok.decode([0, 1, 4])).toBe("hello world");
    expect(tok.decode([0, 1, 4], { skipSpecialTokens: false })).toBe("hello world <eos>");
    expect(tok.decode([])).toBe("");
    expect(tok.applyChatTemplate([{ role: "user", content: "hello" }, { role: "assistant", content: "world" }])).toBe("hello world <eos>");
  });

  it("lists every missing tokenizer file, in a folder that exists or not", async () => {
    const none = await folderError({});
    expect(none.missing).toEqual(["tokenizer.json", "tokenizer_config.json"]);
    expect(none.message).toMatch(/is missing tokenizer\.json, tokenizer_config\.json; copy/);
    expect((await folderError({ "tokenizer.json": TOKENIZER_JSON })).missing).toEqual(["tokenizer_config.json"]);
    expect((await folderError({ "tokenizer_config.json": CONFIG })).missing).toEqual(["tokenizer.json"]);
    const absent = await loadTokenizer({ dir: join(root, "no-such-folder") }).catch((e: unknown) => e);
    expect(absent).toBeInstanceOf(ModelFolderError);
    expect((absent as ModelFolderError).missing).toEqual(["tokenizer.json", "tokenizer_config.json"]);
  });

  it("names the file that is not JSON, not an object, or not a tokenizer", async () => {
    expect((await folderError({ "tokenizer.json": "{nope", "tokenizer_config.json": CONFIG })).message).toMatch(/^tokenizer\.json in .* is not valid JSON/);
    expect((await folderError({ "tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": "[1]" })).message).toMatch(/^tokenizer_config\.json in .* is not a JSON object/);
    expect((await folderError({ "tokenizer.json": {}, "tokenizer_config.json": CONFIG })).message).toMatch(/^tokenizer\.json in .* is not a usable tokenizer: .*model/);
  });

  it("refuses a special token that is neither a string nor an AddedToken, and a malformed template list", async () => {
    const badToken = await folderError({ "tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": { ...CONFIG, eos_token: { content: "<eos>" } } });
    expect(badToken.message).toMatch(/eos_token is an object but not an AddedToken/);
    const badList = await folderError({ "tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": { chat_template: [{ name: "default" }] } });
    expect(badList.message).toMatch(/chat_template must be a list of objects with "name" and "template"/);
  });

  it("loads a folder without a chat template, and fails only when a conversation is rendered", async () => {
    const tok = await loadTokenizer({ dir: await folder({ "tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": { eos_token: "<eos>" } }) });
    expect(tok.encode("hello")).toEqual([0]);
    expect(() => tok.applyChatTemplate([{ role: "user", content: "hello" }])).toThrow(ModelFolderError);
    expect(() => tok.applyChatTemplate([{ role: "user", content: "hello" }])).toThrow(/has no chat_template/);
    expect(tok.applyChatTemplate([{ role: "user", content: "hello" }], { chat_template: "{{ messages[0].content }}!" })).toBe("hello!");
    const named = await loadTokenizer({
      dir: await folder({ "tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": { chat_template: [{ name: "a", template: "A" }, { name: "b", template: "B" }] } }),
    });
    expect(() => named.applyChatTemplate([])).toThrow(/several chat templates and no default: pass chat_template, one of a, b/);
    expect(named.applyChatTemplate([], { chat_template: "b" })).toBe("B");
  });

  it("loads a folder once, reloads it when a file changes, and forgets a failed load", async () => {
    const dir = await folder({ "tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": CONFIG });
    const [tok, again] = await Promise.all([loadTokenizer({ dir }), loadTokenizer({ dir: join(dir, ".") })]);
    expect(again).toBe(tok);
    expect(await loadTokenizer({ dir })).toBe(tok);

    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ ...CONFIG, chat_template: "changed: {{ messages | length }}" }));
    const reloaded = await loadTokenizer({ dir });
    expect(reloaded).not.toBe(tok);
    expect(reloaded.applyChatTemplate([])).toBe("changed: 0");

    await rm(join(dir, "tokenizer.json"));
    await expect(loadTokenizer({ dir })).rejects.toThrow(ModelFolderError);
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(TOKENIZER_JSON));
    expect((await loadTokenizer({ dir })).encode("world")).toEqual([1]);
  });
});
