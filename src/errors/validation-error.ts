import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/** Options of {@link ValidationError}. */
export interface ValidationErrorOptions extends HttpErrorOptions {
  /** The service's `details` (e.g. zod issues `[{path, message}]`), when it sent them. */
  details?: unknown;
}

/**
 * The service rejected the request as malformed (HTTP 400): a bad body, an invalid artifact id, a checksum or size
 * mismatch at confirm-upload. `details` holds the service's per-field issues when it sent them.
 * @example catch (e) { if (isValidationError(e)) console.error(e.code, e.details) }
 */
export class ValidationError extends HttpError {
  override name = "ValidationError";
  /** The service's per-field issues, when it sent them. */
  readonly details: unknown;

  constructor(message: string, options: ValidationErrorOptions) {
    super(message, options);
    this.details = options.details;
  }
}

/** True for a {@link ValidationError}, across package copies and realms. */
export const isValidationError = errorGuard<ValidationError>("ValidationError");
