import { AbortError } from "../errors/abort-error.js";

/**
 * The `AbortError` for a fired signal: `${what} was aborted`, with `cause` = `signal.reason` (what the caller passed
 * to `abort()`), so a caller can tell its own reasons apart.
 * @example throw abortErrorFrom(signal, "GET /api/v1/usage")
 */
export function abortErrorFrom(signal: AbortSignal, what = "The operation"): AbortError {
  return new AbortError(`${what} was aborted`, { cause: signal.reason });
}
