import type { KvcdnLogger } from "../config/logger.js";
import type { RetryOptions } from "../retry/retry-options.js";

/**
 * A `fetch` implementation (`globalThis.fetch`, undici's, or a test double). kvcdn calls it with a `Request` and an
 * `init` holding that request's `signal`: pass `init` on to the platform's fetch, or cancellation and timeouts can be
 * lost once the `Request` is garbage collected (docs/toolchain.md#aborts-and-garbage-collection).
 */
export type FetchLike = (input: Request, init?: RequestInit) => Promise<Response>;

/** Options of every client call. */
export interface CallOptions {
  /** Cancels the call (and its retries); the call rejects with `AbortError` whose `cause` is `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** Per-attempt limit in ms, or `false` for none; exceeding it gives `TimeoutError`. @default the client's `timeout` (30000) */
  timeout?: number | false | undefined;
  /** This call's retry policy; fields not given come from the client's `retry`. @default the client's `retry` */
  retry?: number | RetryOptions | undefined;
}

/** Options of {@link createKvcdnClient}. Unset settings come from env, then config.toml, then defaults. */
export interface KvcdnClientOptions {
  /** API base URL. @default env KVCDN_API_URL, config `api_url`, "https://api.kvcachestore.com" */
  apiUrl?: string | undefined;
  /** API key (`kv_` + 64 hex). @default env KVCDN_API_KEY, config `api_key` */
  apiKey?: string | undefined;
  /** Public CDN base URL. @default env KVCDN_CDN_URL, config `cdn_url`, "https://x.kvcdn.io" */
  cdnUrl?: string | undefined;
  /** The `fetch` to use (tests inject one). Presigned and CDN transfers use it too, without credentials. @default globalThis.fetch */
  fetch?: FetchLike | undefined;
  /**
   * Retry policy of every call and transfer, or a number as shorthand for `{ limit }`.
   * @default { limit: 2, delay: (attempt) => 250 * 2 ** (attempt - 1), backoffLimit: 8000, maxRetryAfter: 60000 }
   */
  retry?: number | RetryOptions | undefined;
  /** Per-attempt timeout of API calls in ms (`false`: none). Storage transfers scale theirs with the size instead. @default 30000 */
  timeout?: number | false | undefined;
  /** Receives warnings and, when it has `debug`, request logs (never the key). @default warnings to stderr */
  logger?: KvcdnLogger | undefined;
  /** Environment to read `KVCDN_*` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** `config.toml` to read, or `false` for none. @default the platform's kvcdn config path */
  configPath?: string | false | undefined;
}

/** Default per-attempt timeout of an API call: 30 s, as the Rust CLI. */
export const DEFAULT_TIMEOUT_MS = 30_000;
