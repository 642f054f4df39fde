import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/**
 * The artifact is not in a state that allows the request (HTTP 409), e.g. a download of an artifact that is not `ready`.
 * @example catch (e) { if (isConflictError(e)) console.error(e.status, e.message) }
 */
export class ConflictError extends HttpError {
  override name = "ConflictError";

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
  }
}

/** True for a {@link ConflictError}, across package copies and realms. */
export const isConflictError = errorGuard<ConflictError>("ConflictError");
