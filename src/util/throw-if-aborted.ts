import { abortErrorFrom } from "./abort-error-from.js";

/**
 * Throw an `AbortError` (`${what} was aborted`, cause = `signal.reason`) when the signal has fired; a plain
 * `signal.throwIfAborted()` would throw the bare reason or a DOMException instead of a kvcdn error.
 * @example throwIfAborted(signal, "prefill")
 */
export function throwIfAborted(signal: AbortSignal | undefined, what = "The operation"): void {
  if (signal?.aborted) throw abortErrorFrom(signal, what);
}
