import { createHash } from "node:crypto";
import { ARCHITECTURE_CONFIG_KEYS } from "./model-fingerprint.js";

/**
 * SHA-256 of the canonical JSON (keys sorted at every level, no whitespace) of the architecture fields of a
 * `config.json` ({@link ARCHITECTURE_CONFIG_KEYS}); a field that is absent or null is left out, so adding
 * `"sliding_window": null` or reformatting the file changes nothing.
 * @example architectureDigest({ architectures: ["Qwen3ForCausalLM"], num_hidden_layers: 28, transformers_version: "4.51" })
 */
export function architectureDigest(config: Readonly<Record<string, unknown>>): string {
  const fields: Record<string, unknown> = {};
  for (const key of ARCHITECTURE_CONFIG_KEYS) {
    const value = config[key];
    if (value !== undefined && value !== null) fields[key] = value;
  }
  return createHash("sha256").update(canonicalJson(fields)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
