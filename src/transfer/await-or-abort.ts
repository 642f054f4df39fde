import { abortErrorFrom } from "../util/abort-error-from.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";

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
