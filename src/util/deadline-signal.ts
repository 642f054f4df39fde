/** The longest delay `setTimeout` takes (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A signal that fires when the caller's signal fires or `ms` elapse (never, for `false`), the deadline's own signal
 * (`timeout`, to tell which one fired), and a `dispose` that clears the timer. Node's `AbortSignal.timeout` cannot be
 * cleared, so a long transfer would keep its timers alive; this one is cleared as soon as the request settles.
 * @example const d = deadlineSignal(signal, 30_000); try { await fetch(url, { signal: d.signal }) } finally { d.dispose() }
 */
export function deadlineSignal(
  signal: AbortSignal | undefined,
  ms: number | false,
): { signal: AbortSignal; timeout: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer =
    ms === false || Number.isNaN(ms)
      ? undefined
      : setTimeout(() => controller.abort(new Error(`deadline of ${Math.round(ms)} ms exceeded`)), Math.max(0, Math.min(ms, MAX_TIMER_MS)));
  timer?.unref?.();
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  return { signal: combined, timeout: controller.signal, dispose: () => clearTimeout(timer) };
}
