import type { Middleware } from "openapi-fetch";
import type { KvcdnLogger } from "../config/logger.js";
import { describeErrorBody } from "../errors/describe-error-body.js";
import { HttpError } from "../errors/http-error.js";
import { redact } from "../errors/redact.js";
import { USER_AGENT } from "./user-agent.js";

/** The request id the service sent (`x-request-id`, or S3's `x-amz-request-id`), if any. */
export function requestIdOf(response: Response): string | undefined {
  return response.headers.get("x-request-id") ?? response.headers.get("x-amz-request-id") ?? undefined;
}

/**
 * The client's openapi-fetch middleware: `User-Agent`; `Authorization: Bearer <key>` only for requests to the API
 * origin (stripped from any other); debug logs of each request and response with the request id (credentials
 * redacted); and a check that a success body claimed as JSON parses, so a truncated or HTML answer becomes an
 * `HttpError` (code `invalid_response`) rather than a `SyntaxError`.
 */
export function createApiMiddleware(params: {
  apiOrigin: string;
  apiKey: string | undefined;
  logger: KvcdnLogger;
}): Middleware {
  const { apiOrigin, apiKey, logger } = params;
  const secrets = [apiKey];
  const debug = logger.debug === undefined ? undefined : (m: string) => logger.debug?.(redact(m, secrets));
  return {
    onRequest({ request }) {
      request.headers.set("User-Agent", USER_AGENT);
      if (apiKey !== undefined && new URL(request.url).origin === apiOrigin) {
        request.headers.set("Authorization", `Bearer ${apiKey}`);
      } else {
        request.headers.delete("Authorization");
      }
      debug?.(`→ ${request.method} ${request.url}${request.headers.has("authorization") ? " (Authorization: Bearer [redacted])" : ""}`);
      return request;
    },
    async onResponse({ request, response, options }) {
      const requestId = requestIdOf(response);
      debug?.(`← ${response.status} ${request.method} ${request.url}${requestId ? ` (request id ${requestId})` : ""}`);
      if (!response.ok || response.status === 204 || request.method === "HEAD" || options.parseAs !== "json") return undefined;
      if (response.headers.get("content-length") === "0") return undefined;
      const text = await response.clone().text();
      if (text.trim() === "") return undefined;
      try {
        JSON.parse(text);
        return undefined;
      } catch {
        const info = describeErrorBody(text, response.headers.get("content-type") ?? "");
        const what = info.kind === "html" || info.kind === "truncated-json" ? info.message : `a body that is not JSON: ${info.message ?? ""}`;
        throw new HttpError(
          redact(`${request.method} ${new URL(request.url).pathname} answered HTTP ${response.status} but ${what}${requestId ? ` (request id ${requestId})` : ""}`, secrets),
          { status: response.status, url: request.url, method: request.method, requestId, body: redact(text.slice(0, 2000), secrets), code: "invalid_response" },
        );
      }
    },
  };
}
