import type { Command } from "commander";
import { looksLikePath } from "../cache-dir/parse-cache-ref.js";
import type { KvRef } from "../onnx/resolve-kv-ref.js";
import { cliContext } from "./cli-context.js";

/**
 * The cache a `--kv` flag names: a local `.kv` path as it is, anything else (an artifact id, a CDN URL,
 * `org/project/id`) a reference fetched through the cache directory with this run's settings (see
 * docs/cache-directory.md). Only a reference reads the configuration.
 * @example resumeFromCache({ model, kv: kvSourceFlag(flags.kv, cmd), question })
 */
export function kvSourceFlag(value: string, cmd: Command): string | KvRef {
  if (looksLikePath(value.trim())) return value;
  const ctx = cliContext(cmd);
  const config = ctx.config();
  return { ref: value, fetch: { client: ctx.client(), cacheDir: config.cacheDir, ...(ctx.io.env ? { env: ctx.io.env } : {}) } };
}
