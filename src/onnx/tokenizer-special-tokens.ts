import { ModelFolderError } from "../errors/compatibility-error.js";

/** The special-token attributes of `tokenizer_config.json` that chat templates see as variables (`eos_token`, …). */
export const SPECIAL_TOKEN_ATTRIBUTES = [
  "bos_token",
  "eos_token",
  "unk_token",
  "sep_token",
  "pad_token",
  "cls_token",
  "mask_token",
] as const;

/**
 * The special tokens `tokenizer_config.json` sets, by attribute: a string, or the `content` of an `AddedToken` object;
 * `null`, `""` and absent attributes are left out. These are the values transformers.js passes to chat templates.
 * @throws {ModelFolderError} when an attribute is an object that is not an `AddedToken`.
 * @example specialTokens({ eos_token: "<|im_end|>", bos_token: null }, dir) // { eos_token: "<|im_end|>" }
 */
export function specialTokens(config: Record<string, unknown>, dir: string): Record<string, string> {
  const tokens: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const key of SPECIAL_TOKEN_ATTRIBUTES) {
    if (!Object.hasOwn(config, key)) continue;
    const value = config[key] as unknown;
    if (!value) continue;
    if (typeof value === "object") {
      const added = value as { __type?: unknown; content?: unknown };
      if (added.__type !== "AddedToken") {
        throw new ModelFolderError(`tokenizer_config.json in ${dir}: ${key} is an object but not an AddedToken`, dir);
      }
      if (added.content) tokens[key] = added.content as string;
    } else {
      tokens[key] = value as string;
    }
  }
  return tokens;
}
