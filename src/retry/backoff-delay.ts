import type { ResolvedRetryOptions } from "./retry-options.js";

/** Most jitter added to a `Retry-After`, in ms: enough that clients told the same time do not return in lockstep. */
const RETRY_AFTER_JITTER_MS = 100;

/**
 * The wait before retry number `attempt` (1 = the first retry), in ms: the server's `Retry-After` when given, plus up
 * to 100 ms of jitter (at most `delay(1)`, so a zero delay stays zero); else `delay(attempt)` capped at
 * `backoffLimit`, with "equal jitter" (a random point between half and all of it).
 * @example backoffDelay(resolveRetryOptions({ delay: (n) => 100 * 2 ** (n - 1) }), { attempt: 3 }) // between 200 and 400
 */
export function backoffDelay(
  retry: Pick<ResolvedRetryOptions, "delay" | "backoffLimit">,
  params: {
    /** The retry about to be waited for: 1 for the first. */
    attempt: number;
    /** What the server's `Retry-After` asked for, in ms. */
    retryAfterMs?: number | undefined;
    /** Source of jitter in [0, 1). @default Math.random */
    random?: () => number;
  },
): number {
  const random = params.random ?? Math.random;
  if (params.retryAfterMs !== undefined) {
    const jitter = Math.min(RETRY_AFTER_JITTER_MS, Math.max(0, retry.delay(1)));
    return Math.round(Math.max(0, params.retryAfterMs) + random() * jitter);
  }
  const base = Math.min(retry.backoffLimit, Math.max(0, retry.delay(Math.max(1, params.attempt))));
  return Math.round(base / 2 + (random() * base) / 2);
}
