import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/**
 * The credential is valid but not allowed to do this (HTTP 403), e.g. an artifact of another organization.
 * A 403 caused by the plan's limits is the narrower {@link QuotaExceededError}.
 * @example catch (e) { if (isForbiddenError(e)) console.error(e.message) }
 */
export class ForbiddenError extends HttpError {
  override name = "ForbiddenError";

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
  }
}

/** True for a {@link ForbiddenError} (including {@link QuotaExceededError}), across package copies and realms. */
export const isForbiddenError = errorGuard<ForbiddenError>("ForbiddenError", "QuotaExceededError");
