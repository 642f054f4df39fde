/**
 * The wait before retry number `attempt` (1-based), in ms: the service's `Retry-After` when given (plus up to 100 ms
 * of jitter so clients do not return in lockstep), else exponential backoff `minDelayMs · 2^(attempt-1)` capped at
 * `maxDelayMs`, with "equal jitter" (between half and all of it).
 * @example backoffDelay({ attempt: 3, minDelayMs: 250, maxDelayMs: 8000 }) // between 500 and 1000
 */
export function backoffDelay(params: {
  attempt: number;
  minDelayMs: number;
  maxDelayMs: number;
  retryAfterMs?: number | undefined;
  random?: () => number;
}): number {
  const random = params.random ?? Math.random;
  if (params.retryAfterMs !== undefined) {
    return Math.round(Math.max(0, params.retryAfterMs) + random() * Math.min(100, params.minDelayMs));
  }
  const base = Math.min(params.maxDelayMs, params.minDelayMs * 2 ** Math.max(0, params.attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}
