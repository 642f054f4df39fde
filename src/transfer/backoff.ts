import { backoffDelay as clientBackoffDelay } from "../client/backoff-delay.js";

/** How a transfer retries transient failures (5xx, 429, dropped connections). Every bound is an option. */
export interface TransferRetryOptions {
  /** Retries after a transient failure of one step (so at most `retries + 1` tries). @default 4 */
  retries?: number;
  /** First backoff delay, in ms; each retry doubles it (with jitter). @default 250 */
  minDelayMs?: number;
  /** Longest backoff delay, in ms. @default 20_000 */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms; a longer one fails at once instead of waiting. @default 120_000 */
  maxRetryAfterMs?: number;
}

/** {@link TransferRetryOptions} with every default filled in. */
export type ResolvedRetryOptions = Required<TransferRetryOptions>;

/** Fill in the defaults of {@link TransferRetryOptions}. */
export function resolveRetryOptions(options: TransferRetryOptions | undefined): ResolvedRetryOptions {
  return {
    retries: Math.max(0, options?.retries ?? 4),
    minDelayMs: Math.max(0, options?.minDelayMs ?? 250),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 20_000),
    maxRetryAfterMs: Math.max(0, options?.maxRetryAfterMs ?? 120_000),
  };
}

/**
 * The delay before retry number `attempt` (0-based) of a transfer step: the client's policy (exponential backoff with
 * equal jitter, or the server's `Retry-After` plus a little jitter), so API calls and transfers back off alike.
 * @example await sleep(backoffDelay({ ...resolveRetryOptions(undefined), attempt: 0, retryAfterMs: 2000 }))
 */
export function backoffDelay(params: ResolvedRetryOptions & { attempt: number; retryAfterMs?: number | undefined; random?: () => number }): number {
  return clientBackoffDelay({ ...params, attempt: params.attempt + 1 });
}
