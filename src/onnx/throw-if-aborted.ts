import { AbortError } from "../errors/abort-error.js";

/** Throw an {@link AbortError} (cause = `signal.reason`) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = "generation"): void {
  if (signal?.aborted) throw new AbortError(`${what} was aborted`, { cause: signal.reason });
}
