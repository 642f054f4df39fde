import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ModelFolderError } from "../errors/compatibility-error.js";
import { pickChatTemplate, readChatTemplates } from "./chat-templates.js";
import { readTokenizerFiles } from "./read-tokenizer-files.js";
import { specialTokens } from "./tokenizer-special-tokens.js";

/** The two tokenizer operations kvcdn uses, with kvcdn-cli's special-token policy made explicit. */
export interface Tokenizer {
  /**
   * Text to ids. Contexts and prompts are encoded with special tokens (as kvcdn-cli does), questions appended to a
   * cache without them.
   */
  encode(text: string, options?: { /** @default true */ addSpecialTokens?: boolean }): number[];
  /** Ids to text; `[]` gives `""`. */
  decode(ids: readonly number[], options?: { /** @default true */ skipSpecialTokens?: boolean }): string;
  /**
   * Render a conversation with the folder's chat template (`tokenizer_config.json`) to text, to be encoded without
   * special tokens. Extra options are template variables (Qwen3: `enable_thinking`).
   */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateOptions): string;
}

/** One chat turn. */
export interface ChatMessage {
  /** `system`, `user`, `assistant`, … */
  role: string;
  /** The turn's text. */
  content: string;
}

/**
 * Options of {@link Tokenizer.applyChatTemplate}. As in transformers.js: `tools` and `documents` are template
 * variables that default to `null`, and `chat_template` names one of the folder's templates or replaces it.
 */
export interface ChatTemplateOptions {
  /** Append the assistant header so the model answers next. @default false */
  addGenerationPrompt?: boolean;
  /** Other template variables, e.g. `enable_thinking: false` for Qwen3. */
  [templateVariable: string]: unknown;
}

/** Loaded tokenizers by folder and file identity: parsing Qwen3's 11 MB tokenizer.json takes about half a second. */
const loaded = new Map<string, Promise<Tokenizer>>();

/**
 * Load a model folder's tokenizer (`tokenizer.json` + `tokenizer_config.json`) with `@huggingface/tokenizers` and
 * its chat template with `@huggingface/jinja`: the two libraries transformers.js 4.3.1 tokenizes and renders with,
 * used the way its `AutoTokenizer` uses them, without loading transformers.js (docs/runtime.md#tokenizer-library).
 * Loaded once per folder and process (reloaded when either file changes).
 * @throws {ModelFolderError} when a file is missing, is not JSON, or does not describe a tokenizer.
 * @example const tok = await loadTokenizer({ dir: "/models/qwen3" }); tok.encode("How are you doing?") // [4340, 525, 498, 3730, 30]
 */
export async function loadTokenizer(options: { /** The model folder. */ dir: string }): Promise<Tokenizer> {
  const dir = resolve(options.dir);
  const stamps = await Promise.all(
    ["tokenizer.json", "tokenizer_config.json"].map((f) =>
      stat(join(dir, f)).then((s) => `${s.size}:${s.mtimeMs}`, () => "missing"),
    ),
  );
  const key = `${dir}\0${stamps.join("\0")}`;
  let tokenizer = loaded.get(key);
  if (!tokenizer) {
    tokenizer = create(dir);
    loaded.set(key, tokenizer);
    tokenizer.catch(() => loaded.delete(key));
  }
  return tokenizer;
}

/** Options of transformers.js `apply_chat_template` that only matter when it tokenizes: never template variables. */
const TOKENIZE_OPTIONS = ["tokenize", "padding", "truncation", "max_length", "return_tensor", "return_dict", "tokenizer_kwargs"];

async function create(dir: string): Promise<Tokenizer> {
  const [{ Tokenizer: HfTokenizer }, { Template }, files] = await Promise.all([
    import("@huggingface/tokenizers"),
    import("@huggingface/jinja"),
    readTokenizerFiles(dir),
  ]);
  let inner: InstanceType<typeof HfTokenizer>;
  try {
    inner = new HfTokenizer(files.tokenizerJson, files.tokenizerConfig);
  } catch (e) {
    throw new ModelFolderError(`tokenizer.json in ${dir} is not a usable tokenizer: ${(e as Error).message}`, dir, [], { cause: e });
  }
  const tokens = specialTokens(files.tokenizerConfig, dir);
  const templates = readChatTemplates(files.tokenizerConfig, dir);
  const compiled = new Map<string, InstanceType<typeof Template>>();
  return {
    encode: (text, opts = {}) => inner.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids,
    decode: (ids, opts = {}) =>
      ids.length === 0 ? "" : inner.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? true }),
    applyChatTemplate: (messages, opts = {}) => {
      const { addGenerationPrompt, tools = null, documents = null, chat_template = null, add_generation_prompt: _, ...rest } = opts;
      const variables = Object.fromEntries(Object.entries(rest).filter(([name]) => !TOKENIZE_OPTIONS.includes(name)));
      const source = pickChatTemplate(templates, { requested: chat_template, hasTools: tools !== null }, dir);
      let template = compiled.get(source);
      if (template === undefined) {
        template = new Template(source);
        compiled.set(source, template);
      }
      return template.render({
        messages: messages.map((m) => ({ ...m })),
        add_generation_prompt: addGenerationPrompt ?? false,
        tools,
        documents,
        ...tokens,
        ...variables,
      });
    },
  };
}
