import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelFolderError } from "../errors/compatibility-error.js";
import { parseJsonObject } from "./parse-json-object.js";

/** A model folder's two tokenizer files, parsed. */
export interface TokenizerFiles {
  /** `tokenizer.json`: the Hugging Face tokenizers pipeline (model, normalizer, pre-tokenizer, decoder, added tokens). */
  tokenizerJson: Record<string, unknown>;
  /** `tokenizer_config.json`: special tokens and the chat template. */
  tokenizerConfig: Record<string, unknown>;
}

const FILES = ["tokenizer.json", "tokenizer_config.json"] as const;

/**
 * Read and parse `tokenizer.json` and `tokenizer_config.json` of a model folder (both are required, as for
 * transformers.js v4: docs/runtime.md#model-folders).
 * @throws {ModelFolderError} listing every missing file, or naming the file that is unreadable or not a JSON object.
 * @example const { tokenizerJson, tokenizerConfig } = await readTokenizerFiles("/models/qwen3");
 */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const reads = await Promise.all(
    FILES.map((file) =>
      readFile(join(dir, file)).then(
        (bytes) => ({ file, bytes }),
        (error: unknown) => ({ file, error: error as NodeJS.ErrnoException }),
      ),
    ),
  );
  const missing = reads.filter((r) => "error" in r && r.error.code === "ENOENT").map((r) => r.file);
  if (missing.length > 0) {
    throw new ModelFolderError(
      `model folder ${dir} is missing ${missing.join(", ")}; copy tokenizer.json and tokenizer_config.json from the model's Hugging Face repo`,
      dir,
      missing,
    );
  }
  const [tokenizerJson, tokenizerConfig] = reads.map((r) => {
    if ("error" in r) throw new ModelFolderError(`${r.file} in ${dir} cannot be read: ${r.error.message}`, dir, [], { cause: r.error });
    return parseJsonObject(r.bytes, dir, r.file);
  });
  return { tokenizerJson: tokenizerJson!, tokenizerConfig: tokenizerConfig! };
}
