import { ConfigError } from "../errors/config-error.js";
import { createApiError } from "../errors/create-api-error.js";
import { isHttpError } from "../errors/http-error.js";
import { isKvcdnError, type KvcdnError } from "../errors/kvcdn-error.js";
import { NetworkError } from "../errors/network-error.js";
import { redact } from "../errors/redact.js";
import { backoffDelay } from "../retry/backoff-delay.js";
import { resolveRetryOptions } from "../retry/retry-options.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { abortErrorFrom } from "../util/abort-error-from.js";
import { classifyAbort } from "../util/classify-abort.js";
import { deadlineSignal } from "../util/deadline-signal.js";
import { networkReason } from "../util/network-reason.js";
import { sleep } from "../util/sleep.js";

/**
 * Which failures a call may retry. `idempotent`: network errors, timeouts, unreadable success bodies, 408, 429 and
 * 5xx (GET, DELETE, PATCH, download-url, confirm-upload, verify). `rate-limit-only`: only answers that say the
 * request was not processed, 429 and 503 with `Retry-After` (upload-url, which creates an artifact per call).
 */
export type RetryMode = "idempotent" | "rate-limit-only";

/** What one API call is, for retries and messages. */
export interface ApiCall extends Omit<CallOptions, "retry"> {
  /** HTTP method, e.g. `GET`. */
  method: string;
  /** The path as sent (ids already encoded), e.g. `/api/v1/artifacts/abc`. */
  path: string;
  /** Which failures this call may retry. */
  retry: RetryMode;
  /** The caller's override of the client's retry policy (`CallOptions.retry`). */
  retryOptions?: CallOptions["retry"];
  /** Whether the call needs the API key (every route but /health). @default true */
  auth?: boolean;
  /** Counts attempts made, for callers that must know whether a retry happened (delete). */
  state?: { attempts: number };
}

/** The shape openapi-fetch resolves to. */
export interface RawResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** Whether `error` may be retried under `mode`. */
export function isRetryable(error: unknown, mode: RetryMode): boolean {
  if (!isKvcdnError(error) || error.name === "AbortError") return false;
  if (isHttpError(error)) {
    if (error.status === 429) return true;
    if (mode === "rate-limit-only") return error.status === 503 && error.retryAfterMs !== undefined;
    return error.status >= 500 || error.status === 408 || error.code === "invalid_response";
  }
  return mode === "idempotent" && (error.name === "NetworkError" || error.name === "TimeoutError");
}

/**
 * Run one API call: per-attempt timeout combined with the caller's signal, conversion of every failure into a typed
 * kvcdn error (HTTP status → `createApiError`, abort → `AbortError`, deadline → `TimeoutError`, anything else →
 * `NetworkError`), and retries with exponential backoff, jitter and `Retry-After` where `call.retry` allows: at
 * most `limit + 1` attempts, and this is the only retry loop around the request. `send` performs the openapi-fetch request with the signal it is given.
 * @example const { data } = await callApi(ctx, { method: "GET", path: "/api/v1/usage", retry: "idempotent" }, (signal) => ctx.api.GET("/api/v1/usage", { signal }))
 */
export async function callApi(
  ctx: ClientContext,
  call: ApiCall,
  send: (signal: AbortSignal) => Promise<RawResult>,
): Promise<{ data: unknown; response: Response }> {
  const operation = `${call.method} ${call.path}`;
  const url = `${ctx.apiUrl}${call.path}`;
  const userSignal = call.signal;
  const timeoutMs = call.timeout === undefined ? ctx.timeout : call.timeout;
  if (call.auth !== false && !ctx.hasApiKey) {
    throw new ConfigError(
      "no API key is configured: pass --api-key, set KVCDN_API_KEY, or add api_key to config.toml (kvcdn config path: see README)",
      { key: "api_key" },
    );
  }

  const attempt = async (): Promise<{ data: unknown; response: Response }> => {
    if (call.state) call.state.attempts++;
    if (userSignal?.aborted) throw abortErrorFrom(userSignal, operation);
    const deadline = deadlineSignal(userSignal, timeoutMs);
    try {
      const result = await send(deadline.signal);
      if (result.response.ok) return { data: result.data, response: result.response };
      throw createApiError(result.response, result.error, { method: call.method, url: result.response.url || url, secrets: ctx.secrets });
    } catch (e) {
      const classified = classifyAbort(e, { signal: userSignal, what: operation, deadline: { signal: deadline.timeout, ms: timeoutMs }, url });
      if (isKvcdnError(classified)) throw classified;
      throw new NetworkError(redact(`${operation} failed: ${networkReason(e)}`, ctx.secrets), { url, cause: e });
    } finally {
      deadline.dispose();
    }
  };

  const retry = resolveRetryOptions(call.retryOptions, ctx.retry);
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (attemptNumber > retry.limit || !isRetryable(error, call.retry)) throw error;
      const failure = error as KvcdnError;
      const retryAfterMs = isHttpError(failure) ? failure.retryAfterMs : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > retry.maxRetryAfter) throw error;
      const delayMs = backoffDelay(retry, { attempt: attemptNumber, retryAfterMs });
      ctx.logger.debug?.(redact(`retrying ${operation} in ${delayMs} ms (attempt ${attemptNumber} failed: ${failure.message})`, ctx.secrets));
      retry.onRetry?.({ operation, attempt: attemptNumber, delayMs, error: failure });
      // Rejects with AbortError when the caller aborts during the wait.
      await sleep(delayMs, userSignal);
    }
  }
}
