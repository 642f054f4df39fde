import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/**
 * The caller's `signal` fired. `cause` is `signal.reason`, so an `AbortController.abort(reason)` is visible here.
 * Nothing is retried after an abort.
 * @example const c = new AbortController(); c.abort("user cancelled"); // → AbortError with cause "user cancelled"
 */
export class AbortError extends KvcdnError {
  override name = "AbortError";

  constructor(message = "The operation was aborted", options: KvcdnErrorOptions = {}) {
    super(message, { code: "aborted", ...options });
  }
}

/** True for a {@link AbortError} thrown by kvcdn, across package copies and realms. */
export const isAbortError = errorGuard<AbortError>("AbortError");
