/**
 * How kvcdn retries a request (an API call, a presigned PUT, a storage GET). One vocabulary for the client and the
 * transfer engine, in ky's style: a number is shorthand for `{ limit }`. Which failures are retryable is decided per
 * request by what it is (see README "Retries, timeouts, cancellation"), not configured: an upload-url call, which
 * creates an artifact, is retried only when the service said it did not process it.
 * @example createKvcdnClient({ retry: { limit: 4, backoffLimit: 20_000 } })
 */
export interface RetryOptions {
  /** Retries after the first attempt, so at most `limit + 1` attempts (0 disables retrying). @default 2 */
  limit?: number | undefined;
  /**
   * The wait before retry number `attempt` (1 = the first retry), in ms, before the `backoffLimit` cap and the
   * "equal jitter" (a random point between half and all of it).
   * @default (attempt) => 250 * 2 ** (attempt - 1)
   */
  delay?: ((attempt: number) => number) | undefined;
  /** Longest backoff wait in ms (a `Retry-After` is not capped by it, see `maxRetryAfter`). @default 8000 */
  backoffLimit?: number | undefined;
  /** A `Retry-After` longer than this (ms) is not waited for: the error is thrown at once. @default 60000 */
  maxRetryAfter?: number | undefined;
  /** Called before each retry's wait, e.g. to log it. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** What {@link RetryOptions.onRetry} receives. */
export interface RetryEvent {
  /** The request, e.g. `GET /api/v1/artifacts`. */
  operation: string;
  /** The attempt that failed (1 = the first); the retry about to be waited for is number `attempt`. */
  attempt: number;
  /** How long kvcdn waits before the next attempt, in ms (`Retry-After` when the server sent one). */
  delayMs: number;
  /** Why the attempt failed. */
  error: Error;
}

/** {@link RetryOptions} with every default filled in. */
export interface ResolvedRetryOptions {
  limit: number;
  delay: (attempt: number) => number;
  backoffLimit: number;
  maxRetryAfter: number;
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** The default backoff: 250 ms, doubling with each retry. */
const defaultDelay = (attempt: number): number => 250 * 2 ** (attempt - 1);

/** The retry policy of a client created without `retry`. */
export const DEFAULT_RETRY: Readonly<ResolvedRetryOptions> = Object.freeze({
  limit: 2,
  delay: defaultDelay,
  backoffLimit: 8000,
  maxRetryAfter: 60_000,
});

/**
 * Apply defaults to a retry option: fields not given come from `base` (the client's policy when a call or transfer
 * overrides part of it), else {@link DEFAULT_RETRY}. Throws `TypeError` for a negative or non-numeric bound.
 * @example resolveRetryOptions(0).limit // 0
 * @example resolveRetryOptions({ delay: () => 1 }, client.retry) // the client's limit, 1 ms waits
 */
export function resolveRetryOptions(
  retry: number | RetryOptions | undefined,
  base: Readonly<ResolvedRetryOptions> = DEFAULT_RETRY,
): ResolvedRetryOptions {
  const given: RetryOptions = typeof retry === "number" ? { limit: retry } : (retry ?? {});
  const out: ResolvedRetryOptions = { ...base };
  for (const key of ["limit", "backoffLimit", "maxRetryAfter"] as const) {
    const value = given[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value >= 0)) throw new TypeError(`retry.${key} must be a number >= 0`);
    out[key] = key === "limit" ? Math.floor(value) : value;
  }
  if (given.delay !== undefined) {
    if (typeof given.delay !== "function") throw new TypeError("retry.delay must be a function of the attempt number");
    out.delay = given.delay;
  }
  if (given.onRetry !== undefined) out.onRetry = given.onRetry;
  return out;
}
