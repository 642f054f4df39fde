import { AbortError, TimeoutError, isKvcdnError } from "../errors/index.js";

export { sleep } from "../client/sleep.js";

/** An `AbortError` whose `cause` is the signal's reason. */
export function abortErrorFrom(signal: AbortSignal): AbortError {
  return new AbortError("The transfer was aborted", { cause: signal.reason });
}

/** Throw an `AbortError` (cause = `signal.reason`) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorFrom(signal);
}

/**
 * Turn what a fetch or stream rejected with into the error the caller should see: the caller's abort becomes
 * `AbortError`, our own deadline `TimeoutError`; anything else is returned unchanged.
 */
export function classifyAbort(
  error: unknown,
  signal: AbortSignal | undefined,
  timeout?: { signal: AbortSignal; ms: number | false; what: string },
): unknown {
  if (signal?.aborted) return isKvcdnError(error) && error.name === "AbortError" ? error : abortErrorFrom(signal);
  if (timeout?.signal.aborted && timeout.ms !== false) {
    return new TimeoutError(`${timeout.what} timed out after ${Math.round(timeout.ms)} ms`, { cause: error, timeoutMs: Math.round(timeout.ms) });
  }
  return error;
}

/**
 * A signal that fires when the caller's signal fires or `ms` elapse (never, for `false`), plus a `dispose` that clears
 * the timer. Node's `AbortSignal.timeout` cannot be cleared, so a long transfer would keep timers alive; this one is.
 */
export function deadlineSignal(signal: AbortSignal | undefined, ms: number | false): { signal: AbortSignal; timeout: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer =
    ms === false
      ? undefined
      : setTimeout(() => controller.abort(new Error(`deadline of ${Math.round(ms)} ms exceeded`)), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  timer?.unref?.();
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  return { signal: combined, timeout: controller.signal, dispose: () => clearTimeout(timer) };
}

/**
 * Await `promise`, but reject with `AbortError` as soon as `signal` fires; in that case `onLate` receives the
 * still-running promise and is awaited first, so the caller can undo what the abandoned call does when it lands
 * (for example delete the artifact an upload-url call creates). Used for calls that must not be cut mid-flight
 * because their effect would then be unknowable.
 */
export async function awaitOrAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onLate: (late: Promise<T>) => Promise<void>,
): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const winner = await Promise.race([promise.then((value) => ({ value })), aborted]);
    if (winner !== "aborted") return winner.value;
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
  promise.catch(() => undefined);
  await onLate(promise).catch(() => undefined);
  throw abortErrorFrom(signal);
}
