import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** Options of {@link NetworkError}. */
export interface NetworkErrorOptions extends KvcdnErrorOptions {
  /** The URL that could not be reached, when known. */
  url?: string | undefined;
}

/**
 * The request never got an HTTP answer: DNS failure, connection refused or reset, TLS error, or a body cut short.
 * `cause` holds the platform's error. Idempotent calls are retried before this is thrown.
 * @example catch (e) { if (isNetworkError(e)) console.error("offline?", e.message) }
 */
export class NetworkError extends KvcdnError {
  override name = "NetworkError";
  /** The URL that could not be reached, when known. */
  readonly url: string | undefined;

  constructor(message: string, options: NetworkErrorOptions = {}) {
    super(message, { code: "network_error", ...options });
    this.url = options.url;
  }
}

/** True for a {@link NetworkError}, across package copies and realms. */
export const isNetworkError = errorGuard<NetworkError>("NetworkError");
