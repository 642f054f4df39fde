import type { Usage } from "./usage.js";
import { errorGuard } from "./error-guard.js";
import { ForbiddenError } from "./forbidden-error.js";
import type { HttpErrorOptions } from "./http-error.js";

/** Options of {@link QuotaExceededError}. */
export interface QuotaExceededErrorOptions extends HttpErrorOptions {
  /** The usage figures, when the error body carried them. */
  usage?: Usage | undefined;
}

/**
 * The request would exceed the plan's artifact limit (free plan: 20) or storage quota (HTTP 403 `quota_exceeded`).
 * Not retried: delete artifacts or upgrade the plan. `usage` holds the figures when the service sent them.
 * @example catch (e) { if (isQuotaExceededError(e)) console.error(e.usage?.artifact_count, "/", e.usage?.artifact_limit) }
 */
export class QuotaExceededError extends ForbiddenError {
  override name = "QuotaExceededError";
  /** The usage figures from the error body, when present. */
  readonly usage: Usage | undefined;

  constructor(message: string, options: QuotaExceededErrorOptions) {
    super(message, options);
    this.usage = options.usage;
  }
}

/** True for a {@link QuotaExceededError}, across package copies and realms. */
export const isQuotaExceededError = errorGuard<QuotaExceededError>("QuotaExceededError");
