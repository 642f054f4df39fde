import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/**
 * The service failed (HTTP 5xx). Idempotent calls are retried with backoff before this is thrown; `retryAfterMs` is set when a 503 carried `Retry-After`.
 * @example catch (e) { if (isServerError(e)) console.error(e.status, e.message) }
 */
export class ServerError extends HttpError {
  override name = "ServerError";

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
  }
}

/** True for a {@link ServerError}, across package copies and realms. */
export const isServerError = errorGuard<ServerError>("ServerError");
