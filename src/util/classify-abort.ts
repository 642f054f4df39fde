import { isHttpError } from "../errors/http-error.js";
import { isKvcdnError } from "../errors/kvcdn-error.js";
import { TimeoutError } from "../errors/timeout-error.js";
import { abortErrorFrom } from "./abort-error-from.js";

/**
 * Turn what a request rejected with into the error the caller should see: the caller's abort becomes `AbortError`
 * (`${what} was aborted`), our own deadline `TimeoutError` (`${what} timed out after … ms`); anything else, and an
 * HTTP answer that arrived as the deadline fired, is returned unchanged.
 * @example throw classifyAbort(e, { signal, what: "The upload PUT", deadline: { signal: d.timeout, ms } })
 */
export function classifyAbort(
  error: unknown,
  params: {
    /** The caller's signal. */
    signal: AbortSignal | undefined;
    /** The request, for messages, e.g. `GET /api/v1/usage`. */
    what: string;
    /** The deadline's own signal and its length in ms (see `deadlineSignal`). */
    deadline?: { signal: AbortSignal; ms: number | false } | undefined;
    /** Put on the `TimeoutError`. */
    url?: string | undefined;
  },
): unknown {
  const { signal, what, deadline } = params;
  if (signal?.aborted) return isKvcdnError(error) && error.name === "AbortError" ? error : abortErrorFrom(signal, what);
  if (deadline?.signal.aborted && deadline.ms !== false && !isHttpError(error)) {
    const timeoutMs = Math.round(deadline.ms);
    return new TimeoutError(`${what} timed out after ${timeoutMs} ms`, { timeoutMs, cause: error, ...(params.url !== undefined ? { url: params.url } : {}) });
  }
  return error;
}
