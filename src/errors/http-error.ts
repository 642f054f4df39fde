import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** Options of {@link HttpError} and its subclasses. */
export interface HttpErrorOptions extends KvcdnErrorOptions {
  /** HTTP status of the response. */
  status: number;
  /** The request URL (never carries credentials: the API key travels in a header). */
  url: string;
  /** The request method, e.g. `GET`. */
  method?: string | undefined;
  /** The service's request id (`x-request-id` / `x-amz-request-id`), when it sent one. */
  requestId?: string | undefined;
  /** The parsed response body (JSON value, or the text when it was not JSON), with credentials redacted. */
  body?: unknown;
  /** How long the service asked to wait before retrying (`Retry-After`), in milliseconds. */
  retryAfterMs?: number | undefined;
}

/**
 * The KV Cache Store API answered with a non-success status. Subclasses name the common cases
 * (`AuthError`, `NotFoundError`, `RateLimitError`, …); this class covers the rest. It never holds the API key.
 * @example catch (e) { if (isHttpError(e)) console.error(e.status, e.code, e.requestId, e.message) }
 */
export class HttpError extends KvcdnError {
  override name = "HttpError";
  /** HTTP status of the response. */
  readonly status: number;
  /** The request URL. */
  readonly url: string;
  /** The request method, when known. */
  readonly method: string | undefined;
  /** The service's request id, when it sent one: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** The parsed response body (JSON value or text), credentials redacted. */
  readonly body: unknown;
  /** How long the service asked to wait before retrying (`Retry-After`), in milliseconds; undefined when not sent. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: HttpErrorOptions) {
    super(message, options);
    this.status = options.status;
    this.url = options.url;
    this.method = options.method;
    this.requestId = options.requestId;
    this.body = options.body;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Always true; lets {@link isHttpError} recognise HTTP errors across package copies and realms. */
  get isHttpError(): true {
    return true;
  }
}

/** True for an {@link HttpError} or any of its subclasses, across package copies and realms. */
export const isHttpError = (e: unknown): e is HttpError =>
  typeof e === "object" &&
  e !== null &&
  (e as { isKvcdnError?: unknown }).isKvcdnError === true &&
  (e as { isHttpError?: unknown }).isHttpError === true;
