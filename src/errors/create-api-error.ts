import { normalizeUsage } from "./usage.js";
import { AuthError } from "./auth-error.js";
import { ConflictError } from "./conflict-error.js";
import { describeErrorBody } from "./describe-error-body.js";
import { ForbiddenError } from "./forbidden-error.js";
import { HttpError, type HttpErrorOptions } from "./http-error.js";
import { NotFoundError } from "./not-found-error.js";
import { parseRetryAfter } from "./parse-retry-after.js";
import { PayloadTooLargeError } from "./payload-too-large-error.js";
import { QuotaExceededError } from "./quota-exceeded-error.js";
import { RateLimitError } from "./rate-limit-error.js";
import { redact, redactDeep } from "./redact.js";
import { ServerError } from "./server-error.js";
import { ValidationError } from "./validation-error.js";

/** Options of {@link createApiError}. */
export interface CreateApiErrorOptions {
  /** The request method, shown in the message. */
  method?: string | undefined;
  /** The request URL when `response.url` is empty (e.g. a synthetic response). */
  url?: string | undefined;
  /** Secrets to scrub from the message and body (the API key). Key-shaped strings are always scrubbed. */
  secrets?: ReadonlyArray<string | undefined> | undefined;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const DEFAULT_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

const QUOTA_CODES = /quota|limit_exceeded|plan_limit/i;
const QUOTA_TEXT = /quota|artifact limit|plan limit|limit of \d+|storage limit/i;

/** `https://host/path` (no query string: a continuation token or signature is not worth repeating). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/**
 * Convert a non-success API response into the matching typed error: 400 {@link ValidationError}, 401
 * {@link AuthError}, 403 {@link QuotaExceededError} (quota codes and texts, with `usage` when the body has it) or
 * {@link ForbiddenError}, 404 {@link NotFoundError}, 409 {@link ConflictError}, 413 {@link PayloadTooLargeError},
 * 429 {@link RateLimitError}, 5xx {@link ServerError}, anything else {@link HttpError}. `body` is what was read from
 * the response (parsed JSON, text or undefined); it is read defensively and never makes this throw. The message and
 * body never contain the API key.
 * @example const { error, response } = await api.GET("/api/v1/artifacts"); if (error !== undefined) throw createApiError(response, error)
 */
export function createApiError(response: Response, body: unknown, options: CreateApiErrorOptions = {}): HttpError {
  const secrets = options.secrets ?? [];
  const status = response.status;
  const url = redact(options.url ?? response.url ?? "", secrets);
  const info = describeErrorBody(body, response.headers.get("content-type") ?? "");
  const requestId =
    response.headers.get("x-request-id") ?? response.headers.get("x-amz-request-id") ?? info.requestId ?? undefined;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  const code = info.code ?? DEFAULT_CODES[status] ?? (status >= 500 ? "server_error" : `http_${status}`);

  let text = info.message ?? (response.statusText || REASONS[status] || `HTTP ${status}`);
  if (status === 401 && !/api[ _-]?key|credential|token/i.test(text)) {
    text = `${text}: the API key is missing, wrong or revoked (check --api-key, KVCDN_API_KEY or api_key in config.toml)`;
  }
  const where = [
    `HTTP ${status}`,
    url ? `${options.method ? `${options.method.toUpperCase()} ` : ""}${describeUrl(url)}` : undefined,
    requestId ? `request id ${requestId}` : undefined,
  ].filter(Boolean);
  const message = redact(`${text} (${where.join(", ")})`, secrets);

  const common: HttpErrorOptions = {
    status,
    url,
    method: options.method?.toUpperCase(),
    requestId,
    body: redactDeep(info.body, secrets),
    retryAfterMs,
    code,
  };

  switch (status) {
    case 400:
    case 422:
      return new ValidationError(message, { ...common, details: redactDeep(info.details, secrets) });
    case 401:
      return new AuthError(message, common);
    case 403: {
      const bodyObject = typeof info.body === "object" && info.body !== null ? (info.body as Record<string, unknown>) : {};
      if (QUOTA_CODES.test(code) || QUOTA_TEXT.test(info.message ?? "")) {
        return new QuotaExceededError(message, {
          ...common,
          usage: normalizeUsage(bodyObject["usage"]) ?? normalizeUsage(bodyObject),
        });
      }
      return new ForbiddenError(message, common);
    }
    case 404:
      return new NotFoundError(message, common);
    case 409:
      return new ConflictError(message, common);
    case 413:
      return new PayloadTooLargeError(message, common);
    case 429:
      return new RateLimitError(message, common);
    default:
      return status >= 500 ? new ServerError(message, common) : new HttpError(message, common);
  }
}
