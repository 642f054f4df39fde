import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";
import { errorGuard } from "./error-guard.js";

/**
 * A `.kv` cache does not fit the model it is being loaded into (another model, layer count, head layout, tokenizer…).
 * Raised before anything runs, naming the first field that differs. Use a cache produced by this model (or the model
 * the cache's sidecar names), or re-produce the cache with `kvcdn generate --model DIR`.
 * @example catch (e) { if (e instanceof CompatibilityError) console.error(e.field, e.expected, e.actual) }
 */
export class CompatibilityError extends KvcdnError {
  override name = "CompatibilityError";

  constructor(
    /** What differs: `num_layers`, `num_kv_heads`, `head_dim`, `model_name` or a fingerprint field (`arch_sha256`, `weights_sha256`, …). */
    readonly field: string,
    /** The model's value. */
    readonly expected: unknown,
    /** The cache's value. */
    readonly actual: unknown,
    message?: string,
    options: KvcdnErrorOptions = {},
  ) {
    super(
      message ??
        `cache does not match the model: ${field} is ${JSON.stringify(actual)} in the cache but ${JSON.stringify(expected)} ` +
          "in the model; use a cache produced by this model (kvcdn generate --model DIR)",
      { code: "incompatible_cache", ...options },
    );
  }
}

/**
 * A model folder is missing a file or holds an unusable `config.json` / `generation_config.json`. `missing` lists the
 * files that were looked for (relative to `dir`).
 * @example catch (e) { if (e instanceof ModelFolderError) console.error(e.dir, e.missing) }
 */
export class ModelFolderError extends KvcdnError {
  override name = "ModelFolderError";

  constructor(
    message: string,
    /** The model folder. */
    readonly dir: string,
    /** Files that are required but absent, relative to `dir`. */
    readonly missing: readonly string[] = [],
    options: KvcdnErrorOptions = {},
  ) {
    super(message, { code: "model_folder", ...options });
  }
}

/**
 * An optional peer dependency (`onnxruntime-node`, `@huggingface/transformers`) is not installed.
 * @example catch (e) { if (e instanceof MissingPeerError) console.error(`npm install ${e.packageName}`) }
 */
export class MissingPeerError extends KvcdnError {
  override name = "MissingPeerError";

  constructor(
    /** The npm package to install. */
    readonly packageName: string,
    options: KvcdnErrorOptions = {},
  ) {
    super(
      `${packageName} is not installed; it is an optional peer dependency of kvcdn: run \`npm install ${packageName}\`` +
        (packageName === "onnxruntime-node" ? " (offline on linux/x64: ONNXRUNTIME_NODE_INSTALL=skip)" : ""),
      { code: "missing_peer", ...options },
    );
  }
}

/**
 * Why a cache cannot seed a prompt: `no_tokens` (the `.kv` has no `tokens` in its sidecar), `fully_cached` (no token
 * is left to run), `prefix_mismatch` (the ids do not start with the cached tokens), `empty_prompt`, `bad_tokens`,
 * `disposed_cache` (a prepared cache used after its `dispose()`).
 */
export type CacheInputErrorCode = "no_tokens" | "fully_cached" | "prefix_mismatch" | "empty_prompt" | "bad_tokens" | "disposed_cache";

/**
 * A cache and a prompt cannot be combined as asked: the message says what to do instead.
 * @example catch (e) { if (e instanceof CacheInputError && e.code === "no_tokens") … }
 */
export class CacheInputError extends KvcdnError {
  override name = "CacheInputError";
  declare readonly code: CacheInputErrorCode;

  constructor(message: string, options: KvcdnErrorOptions & { code: CacheInputErrorCode }) {
    super(message, options);
  }
}

/** True for a {@link CompatibilityError} thrown by kvcdn, across package copies and realms. */
export const isCompatibilityError = errorGuard<CompatibilityError>("CompatibilityError");

/** True for a {@link ModelFolderError} thrown by kvcdn, across package copies and realms. */
export const isModelFolderError = errorGuard<ModelFolderError>("ModelFolderError");

/** True for a {@link MissingPeerError} thrown by kvcdn, across package copies and realms. */
export const isMissingPeerError = errorGuard<MissingPeerError>("MissingPeerError");

/** True for a {@link CacheInputError} thrown by kvcdn, across package copies and realms. */
export const isCacheInputError = errorGuard<CacheInputError>("CacheInputError");
