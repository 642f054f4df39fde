import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { LocalFileError } from "../errors/local-file-error.js";
import { readKvMetadata } from "../kv/read-kv-metadata.js";
import { checkCompatibility, compatibilityOptions, type CompatibilityOptions } from "./check-compatibility.js";
import type { Tokenizer } from "./load-tokenizer.js";
import { longestCommonPrefix } from "./longest-common-prefix.js";
import type { ModelInfo } from "./read-model-folder.js";

/** One ranked cache (`kvcdn search --json` prints these with snake_case keys). */
export interface CacheMatch {
  /** Path of the `.kv` file. */
  path: string;
  /** Leading ids the cache shares with the query. */
  prefixTokens: number;
  /** Positions the cache holds. */
  totalTokens: number;
  /** The cache's `model_name`. */
  model: string;
}

/** Options of {@link searchCaches}: give `query` (text) or `queryTokens` (ids). */
export interface SearchCachesOptions extends CompatibilityOptions {
  /** Folder to scan for `*.kv` files. */
  dir: string;
  /** The model the caches must fit, with its tokenizer (a `loadModel` result, or `readModelFolder` + `loadTokenizer`). */
  model: ModelInfo & { tokenizer: Tokenizer };
  /** The new prompt, tokenized like a context (with special tokens, as caches' `tokens` are). */
  query?: string;
  /** The new prompt as ids. */
  queryTokens?: readonly number[];
  /** Scan subfolders too. @default false */
  recursive?: boolean;
  /** Leave out caches sharing fewer leading tokens. @default 1 */
  minPrefixTokens?: number;
  /** Called for each `.kv` left out, with why (unreadable, no tokens, another model). */
  onSkip?: (path: string, reason: string) => void;
}

/**
 * Rank the `.kv` files of a folder by how many leading tokens they share with a query, best first (ties: fewer
 * cached positions, then path). Reads only sidecars and headers; files without `tokens` or for another model
 * (fingerprint, or model name when there is none) are left out.
 * @example const [best] = await searchCaches({ dir: "caches", model, query: context + question });
 */
export async function searchCaches(options: SearchCachesOptions): Promise<CacheMatch[]> {
  const { model } = options;
  const query =
    options.queryTokens !== undefined
      ? [...options.queryTokens]
      : model.tokenizer.encode(options.query ?? "", { addSpecialTokens: true });
  const minPrefix = options.minPrefixTokens ?? 1;
  const skip = options.onSkip ?? (() => {});
  const dir = resolve(options.dir);
  let files: string[];
  try {
    files = await listKvFiles(dir, options.recursive === true);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LocalFileError(`cannot scan ${dir} for .kv files: ${code === "ENOENT" ? "no such folder" : String(e)}`, dir, {
      cause: e,
      ...(code ? { code } : {}),
    });
  }
  const matches: CacheMatch[] = [];
  for (const path of files) {
    let metadata;
    try {
      metadata = await readKvMetadata(path);
      checkCompatibility({ model, metadata, ...compatibilityOptions(options) });
    } catch (e) {
      skip(path, e instanceof Error ? e.message : String(e));
      continue;
    }
    if (metadata.tokens === undefined) {
      skip(path, "no tokens in its sidecar");
      continue;
    }
    const prefix = longestCommonPrefix(metadata.tokens, query);
    if (prefix < minPrefix) continue;
    matches.push({ path, prefixTokens: prefix, totalTokens: metadata.num_tokens, model: metadata.model_name });
  }
  return matches.sort(
    (a, b) =>
      b.prefixTokens - a.prefixTokens ||
      a.totalTokens - b.totalTokens ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

async function listKvFiles(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith(".kv")) out.push(path);
    else if (recursive && entry.isDirectory()) out.push(...(await listKvFiles(path, true)));
  }
  return out.sort();
}
