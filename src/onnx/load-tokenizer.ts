import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { importTransformers } from "../peers/import-transformers.js";

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

/** Options of {@link Tokenizer.applyChatTemplate}. */
export interface ChatTemplateOptions {
  /** Append the assistant header so the model answers next. @default false */
  addGenerationPrompt?: boolean;
  /** Other template variables, e.g. `enable_thinking: false` for Qwen3. */
  [templateVariable: string]: unknown;
}

/** Loaded tokenizers by folder and file identity: parsing Qwen3's 11 MB tokenizer.json takes about half a second. */
const loaded = new Map<string, Promise<Tokenizer>>();

/**
 * Load a model folder's tokenizer (`tokenizer.json` + `tokenizer_config.json`) offline with transformers.js
 * `AutoTokenizer`. Loaded once per folder and process (reloaded when either file changes).
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

async function create(dir: string): Promise<Tokenizer> {
  const { AutoTokenizer } = await importTransformers();
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
