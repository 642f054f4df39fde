import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/**
 * The request body or the declared size is over the service's limit (HTTP 413).
 * @example catch (e) { if (isPayloadTooLargeError(e)) console.error(e.status, e.message) }
 */
export class PayloadTooLargeError extends HttpError {
  override name = "PayloadTooLargeError";

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
  }
}

/** True for a {@link PayloadTooLargeError}, across package copies and realms. */
export const isPayloadTooLargeError = errorGuard<PayloadTooLargeError>("PayloadTooLargeError");
