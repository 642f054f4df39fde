import { errorGuard } from "./error-guard.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";

/**
 * The API rejected the credential (HTTP 401): the API key is missing, wrong or revoked. Check `--api-key`, `KVCDN_API_KEY` or `api_key` in config.toml.
 * @example catch (e) { if (isAuthError(e)) console.error(e.status, e.message) }
 */
export class AuthError extends HttpError {
  override name = "AuthError";

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
  }
}

/** True for a {@link AuthError}, across package copies and realms. */
export const isAuthError = errorGuard<AuthError>("AuthError");
