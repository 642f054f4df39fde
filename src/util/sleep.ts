import { abortErrorFrom } from "./abort-error-from.js";

/**
 * Wait `ms`, or reject with `AbortError` (cause = `signal.reason`) as soon as `signal` fires.
 * @example await sleep(backoffDelay(retry, { attempt }), signal)
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortErrorFrom(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFrom(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
