import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** Options of {@link TimeoutError}. */
export interface TimeoutErrorOptions extends KvcdnErrorOptions {
  /** The limit that was exceeded, in milliseconds. */
  timeoutMs?: number | undefined;
  /** The URL of the request that timed out, when known. */
  url?: string | undefined;
}

/**
 * A call took longer than its `timeout` (kvcdn's own deadline; the caller's `signal` gives {@link AbortError}).
 * @example catch (e) { if (isTimeoutError(e)) console.error(`gave up after ${e.timeoutMs} ms`) }
 */
export class TimeoutError extends KvcdnError {
  override name = "TimeoutError";
  /** The limit that was exceeded, in milliseconds, when known. */
  readonly timeoutMs: number | undefined;
  /** The URL of the request that timed out, when known. */
  readonly url: string | undefined;

  constructor(message: string, options: TimeoutErrorOptions = {}) {
    super(message, { code: "timeout", ...options });
    this.timeoutMs = options.timeoutMs;
    this.url = options.url;
  }
}

/** True for a {@link TimeoutError}, across package copies and realms. */
export const isTimeoutError = errorGuard<TimeoutError>("TimeoutError");
