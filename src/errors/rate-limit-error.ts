import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/**
 * The service is rate limiting this credential (HTTP 429); the request was not processed. Every call (even
 * upload-url) is retried after `Retry-After` before this is thrown; `retryAfterMs` says how long the service asked
 * to wait (undefined when it did not say).
 * @example catch (e) { if (isRateLimitError(e)) await sleep(e.retryAfterMs ?? 1000) }
 */
export class RateLimitError extends HttpError {
  override name = "RateLimitError";

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
  }
}

/** True for a {@link RateLimitError}, across package copies and realms. */
export const isRateLimitError = errorGuard<RateLimitError>("RateLimitError");
