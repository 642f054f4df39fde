export { KvcdnError, isKvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";
export { KvFormatError, isKvFormatError, type KvFormatErrorCode, type KvFormatErrorOptions } from "./kv-format-error.js";
export { LocalFileError, isLocalFileError } from "./local-file-error.js";
export { FileTooLargeError, isFileTooLargeError } from "./file-too-large-error.js";
export {
  CompatibilityError,
  ModelFolderError,
  MissingPeerError,
  CacheInputError,
  isCompatibilityError,
  isModelFolderError,
  isMissingPeerError,
  isCacheInputError,
  type CacheInputErrorCode,
} from "./compatibility-error.js";
export { HttpError, isHttpError, type HttpErrorOptions } from "./http-error.js";
export { ValidationError, isValidationError, type ValidationErrorOptions } from "./validation-error.js";
export { AuthError, isAuthError } from "./auth-error.js";
export { ForbiddenError, isForbiddenError } from "./forbidden-error.js";
export { QuotaExceededError, isQuotaExceededError, type QuotaExceededErrorOptions } from "./quota-exceeded-error.js";
export { NotFoundError, isNotFoundError } from "./not-found-error.js";
export { ConflictError, isConflictError } from "./conflict-error.js";
export { PayloadTooLargeError, isPayloadTooLargeError } from "./payload-too-large-error.js";
export { RateLimitError, isRateLimitError } from "./rate-limit-error.js";
export { ServerError, isServerError } from "./server-error.js";
export { NetworkError, isNetworkError, type NetworkErrorOptions } from "./network-error.js";
export { TimeoutError, isTimeoutError, type TimeoutErrorOptions } from "./timeout-error.js";
export { AbortError, isAbortError } from "./abort-error.js";
export { ConfigError, isConfigError, type ConfigErrorOptions } from "./config-error.js";
export { IntegrityError, isIntegrityError, type IntegrityErrorOptions } from "./integrity-error.js";
export { CacheMissError, isCacheMissError, type CacheMissErrorOptions } from "./cache-miss-error.js";
export { PresignedUrlError, isPresignedUrlError, type PresignedUrlErrorOptions } from "./presigned-url-error.js";
export { ShardGroupError, isShardGroupError, type ShardGroupErrorCode, type ShardGroupErrorOptions } from "./shard-group-error.js";
export { createApiError, type CreateApiErrorOptions } from "./create-api-error.js";
export { describeErrorBody, type ErrorBodyInfo } from "./describe-error-body.js";
export { parseS3Error, type S3ErrorInfo } from "./parse-s3-error.js";
export { parseRetryAfter } from "./parse-retry-after.js";
export { redact, redactDeep, REDACTED } from "./redact.js";
export { errorGuard } from "./error-guard.js";
