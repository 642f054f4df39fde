import type { KvcdnLogger } from "../config/logger.js";

/** A `fetch` implementation (`globalThis.fetch`, undici's, or a test double). */
export type FetchLike = (input: Request, init?: RequestInit) => Promise<Response>;

/** Retry policy for API calls. Idempotent calls retry network errors, timeouts, 5xx and 429; upload-url only 429/503 with `Retry-After`. */
export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). @default 2 */
  limit: number;
  /** First backoff delay in ms; doubles each retry, with jitter. @default 250 */
  minDelayMs: number;
  /** Backoff ceiling in ms. @default 8000 */
  maxDelayMs: number;
  /** A `Retry-After` longer than this (ms) is not waited for: the error is thrown instead. @default 60000 */
  maxRetryAfterMs: number;
  /** Called before each retry's wait, e.g. to log it. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** What {@link RetryOptions.onRetry} receives. */
export interface RetryEvent {
  /** The operation, e.g. `GET /api/v1/artifacts`. */
  operation: string;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  /** How long kvcdn waits before the next attempt, in ms (`Retry-After` when the service sent one). */
  delayMs: number;
  /** Why the attempt failed. */
  error: Error;
}

/** Options of every client call. */
export interface CallOptions {
  /** Cancels the call (and its retries); the call rejects with `AbortError` whose `cause` is `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** Per-attempt limit in ms, or `false` for none; exceeding it gives `TimeoutError`. @default the client's timeoutMs (30000) */
  timeout?: number | false | undefined;
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
  /** Retry policy, or a number as shorthand for `{ limit }`. @default { limit: 2, minDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 60000 } */
  retries?: number | Partial<RetryOptions> | undefined;
  /** Per-attempt timeout of API calls in ms (`false`: none). @default 30000 */
  timeoutMs?: number | false | undefined;
  /** Receives warnings and, when it has `debug`, request logs (never the key). @default warnings to stderr */
  logger?: KvcdnLogger | undefined;
  /** Environment to read `KVCDN_*` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** `config.toml` to read, or `false` for none. @default the platform's kvcdn config path */
  configPath?: string | false | undefined;
}

/** The retry policy in force (defaults applied). */
export type ResolvedRetryOptions = RetryOptions;

/** Default retry policy. */
export const DEFAULT_RETRY: Readonly<ResolvedRetryOptions> = Object.freeze({
  limit: 2,
  minDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
});

/** Default per-attempt timeout of an API call: 30 s, as the Rust CLI. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Apply defaults to a retry option. */
export function resolveRetryOptions(retries: number | Partial<RetryOptions> | undefined): ResolvedRetryOptions {
  const given = typeof retries === "number" ? { limit: retries } : (retries ?? {});
  const out: ResolvedRetryOptions = { ...DEFAULT_RETRY };
  for (const key of ["limit", "minDelayMs", "maxDelayMs", "maxRetryAfterMs"] as const) {
    const v = given[key];
    if (v !== undefined) {
      if (typeof v !== "number" || !(v >= 0)) throw new TypeError(`retries.${key} must be a number >= 0`);
      out[key] = v;
    }
  }
  if (given.onRetry !== undefined) out.onRetry = given.onRetry;
  return out;
}
