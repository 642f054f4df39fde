import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/**
 * The artifact (or route) does not exist, or belongs to another organization (HTTP 404). A repeated delete answers this too.
 * @example catch (e) { if (isNotFoundError(e)) console.error(e.status, e.message) }
 */
export class NotFoundError extends HttpError {
  override name = "NotFoundError";

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
  }
}

/** True for a {@link NotFoundError}, across package copies and realms. */
export const isNotFoundError = errorGuard<NotFoundError>("NotFoundError");
