import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** Options of {@link PresignedUrlError}. */
export interface PresignedUrlErrorOptions extends KvcdnErrorOptions {
  /** HTTP status from storage, when there was a response. */
  status?: number | undefined;
  /** The S3 error `<Code>` (`AccessDenied`, `SignatureDoesNotMatch`, `BadDigest`, …) in `code`; S3's `<Message>` here. */
  s3Message?: string | undefined;
  /** S3's `<RequestId>` (or `x-amz-request-id`), when sent. */
  requestId?: string | undefined;
  /** The storage URL without its query string (the signature is never kept). */
  url?: string | undefined;
}

/**
 * Object storage rejected a presigned PUT or GET (S3 XML error): expired (`AccessDenied` "Request has expired"),
 * `SignatureDoesNotMatch`, `BadDigest`, `NoSuchKey`, … `code` is S3's `<Code>`. The transfer engine fetches a
 * fresh URL and restarts when this is retryable.
 * @example catch (e) { if (isPresignedUrlError(e) && e.isExpired) console.error("URL expired; request a new one") }
 */
export class PresignedUrlError extends KvcdnError {
  override name = "PresignedUrlError";
  /** HTTP status from storage, when there was a response. */
  readonly status: number | undefined;
  /** S3's `<Message>`, when sent. */
  readonly s3Message: string | undefined;
  /** S3's request id, when sent. */
  readonly requestId: string | undefined;
  /** The storage URL without its query string. */
  readonly url: string | undefined;

  constructor(message: string, options: PresignedUrlErrorOptions = {}) {
    super(message, options);
    this.status = options.status;
    this.s3Message = options.s3Message;
    this.requestId = options.requestId;
    this.url = options.url;
  }

  /** True when storage says the URL has expired (`AccessDenied` "Request has expired", `ExpiredToken`, …). */
  get isExpired(): boolean {
    if (this.code === "ExpiredToken" || this.code === "RequestExpired" || this.code === "TokenRefreshRequired") return true;
    const text = `${this.s3Message ?? ""} ${this.message}`;
    return (this.code === "AccessDenied" || this.code === undefined) && /request has expired|expired/i.test(text);
  }
}

/** True for a {@link PresignedUrlError}, across package copies and realms. */
export const isPresignedUrlError = errorGuard<PresignedUrlError>("PresignedUrlError");
