/** How a transfer retries transient failures (5xx, 429, dropped connections). Every bound is an option. */
export interface RetryOptions {
  /** Retries after a transient failure of one step (so at most `retries + 1` tries). @default 4 */
  retries?: number;
  /** First backoff ceiling, in ms; each retry doubles it (full jitter: a random delay up to the ceiling). @default 250 */
  minDelayMs?: number;
  /** Largest backoff ceiling, in ms. @default 20_000 */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms; a longer one fails at once instead of waiting. @default 120_000 */
  maxRetryAfterMs?: number;
}

/** {@link RetryOptions} with every default filled in. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** Fill in the defaults of {@link RetryOptions}. */
export function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  return {
    retries: Math.max(0, options?.retries ?? 4),
    minDelayMs: Math.max(0, options?.minDelayMs ?? 250),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 20_000),
    maxRetryAfterMs: Math.max(0, options?.maxRetryAfterMs ?? 120_000),
  };
}

/**
 * The delay before retry number `attempt` (0-based): full jitter under an exponential ceiling, and never less than
 * the server's `Retry-After` (plus a little jitter so many clients do not return in lockstep).
 * @example await sleep(backoffDelay({ attempt, retryAfterMs: 2000, ...resolveRetryOptions(undefined) }))
 */
export function backoffDelay(params: ResolvedRetryOptions & { attempt: number; retryAfterMs?: number | undefined; random?: () => number }): number {
  const random = params.random ?? Math.random;
  const ceiling = Math.min(params.maxDelayMs, params.minDelayMs * 2 ** Math.max(0, params.attempt));
  const jittered = random() * ceiling;
  if (params.retryAfterMs === undefined) return Math.round(jittered);
  return Math.round(params.retryAfterMs + random() * Math.min(params.minDelayMs, 1000));
}
