import { describe, expect, it } from "vitest";
import {
  AuthError,
  ConflictError,
  ForbiddenError,
  HttpError,
  NotFoundError,
  PayloadTooLargeError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  ValidationError,
  createApiError,
  isForbiddenError,
  isHttpError,
  isKvcdnError,
  isQuotaExceededError,
} from "../../src/errors/index.js";

const URL_ = "https://api.example.test/api/v1/artifacts/abc?continuation=tok";

function response(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers });
}

describe("createApiError maps each status to its typed error", () => {
  const cases: Array<[number, new (...args: never[]) => HttpError, string]> = [
    [400, ValidationError, "bad_request"],
    [401, AuthError, "unauthorized"],
    [403, ForbiddenError, "forbidden"],
    [404, NotFoundError, "not_found"],
    [409, ConflictError, "conflict"],
    [413, PayloadTooLargeError, "payload_too_large"],
    [429, RateLimitError, "rate_limited"],
    [500, ServerError, "server_error"],
    [502, ServerError, "server_error"],
    [503, ServerError, "server_error"],
  ];
  for (const [status, Class, code] of cases) {
    it(`HTTP ${status} → ${Class.name} with code ${code}`, () => {
      const e = createApiError(response(status, { "x-request-id": "req-1" }), undefined, { method: "get", url: URL_ });
      expect(e).toBeInstanceOf(Class);
      expect(e.name).toBe(Class.name);
      expect(e.status).toBe(status);
      expect(e.code).toBe(code);
      expect(e.requestId).toBe("req-1");
      expect(e.method).toBe("GET");
      expect(e.url).toBe(URL_);
      expect(isKvcdnError(e) && isHttpError(e)).toBe(true);
      // One line, with the status, the route (no query string) and the request id.
      expect(e.message).not.toContain("\n");
      expect(e.message).toContain(`HTTP ${status}`);
      expect(e.message).toContain("GET https://api.example.test/api/v1/artifacts/abc");
      expect(e.message).not.toContain("continuation=tok");
      expect(e.message).toContain("request id req-1");
    });
  }

  it("an unmapped status is a plain HttpError", () => {
    const e = createApiError(response(418), undefined, { url: URL_ });
    expect(e.constructor).toBe(HttpError);
    expect(e.code).toBe("http_418");
  });
});

describe("createApiError reads every body shape defensively", () => {
  it("our spec's {error: code, message}", () => {
    const e = createApiError(response(404), { error: "not_found", message: "Artifact abc does not exist" }, { url: URL_ });
    expect(e.code).toBe("not_found");
    expect(e.message).toMatch(/^Artifact abc does not exist \(HTTP 404/);
  });

  it("the deployed service's {error: sentence}", () => {
    const e = createApiError(response(404), { error: "Artifact not found" }, { url: URL_ });
    expect(e.message).toMatch(/^Artifact not found/);
    expect(e.code).toBe("not_found");
  });

  it("a framework error {statusCode, code, error: title, message}", () => {
    const body = { statusCode: 400, code: "FST_ERR_CTP_EMPTY_JSON_BODY", error: "Bad Request", message: "Body cannot be empty when content-type is set to 'application/json'" };
    const e = createApiError(response(400), body, { url: URL_ });
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.code).toBe("FST_ERR_CTP_EMPTY_JSON_BODY");
    expect(e.message).toMatch(/^Body cannot be empty/);
    expect(e.body).toEqual(body);
  });

  it("an object error {error: {code, message}}", () => {
    const e = createApiError(response(409), { error: { code: "not_ready", message: "Artifact is pending" } }, { url: URL_ });
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.code).toBe("not_ready");
    expect(e.message).toMatch(/^Artifact is pending/);
  });

  it("zod details are summarised and kept", () => {
    const details = [{ path: ["dtype"], message: "Required" }, { path: ["num_tokens"], message: "Expected number" }];
    const e = createApiError(response(400), { error: "Bad Request", details }, { url: URL_ }) as ValidationError;
    expect(e.details).toEqual(details);
    expect(e.message).toContain("dtype: Required");
    expect(e.message).toContain("num_tokens: Expected number");
  });

  it("a checksum mismatch with expected/actual", () => {
    const e = createApiError(response(400), { error: "sha256 mismatch", expected: "aa", actual: "bb" }, { url: URL_ });
    expect(e.message).toMatch(/^sha256 mismatch: expected "aa", got "bb"/);
  });

  it("an HTML page from a proxy", () => {
    const html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    const e = createApiError(response(502, { "content-type": "text/html" }), html, { url: URL_ });
    expect(e).toBeInstanceOf(ServerError);
    expect(e.message).toMatch(/^the service answered with an HTML page \("502 Bad Gateway"\) instead of JSON/);
    expect(e.message).not.toContain("<html>");
  });

  it("truncated JSON", () => {
    const e = createApiError(response(500), '{"error":"inter', { url: URL_ });
    expect(e).toBeInstanceOf(ServerError);
    expect(e.message).toMatch(/^the service sent an unreadable JSON body: \{"error":"inter/);
    expect(e.body).toBe('{"error":"inter');
  });

  it("an empty body falls back to the reason phrase", () => {
    expect(createApiError(response(503), "", { url: URL_ }).message).toMatch(/^Service Unavailable \(HTTP 503/);
    expect(createApiError(response(500), undefined, { url: URL_ }).message).toMatch(/^Internal Server Error/);
  });

  it("plain text is kept on one line and clipped", () => {
    const e = createApiError(response(500), `upstream\nfailed ${"x".repeat(500)}`, { url: URL_ });
    expect(e.message).toMatch(/^upstream failed x+…/);
    expect(e.message.length).toBeLessThan(400);
  });

  it("a JSON string body is the message", () => {
    expect(createApiError(response(400), '"just a sentence"', { url: URL_ }).message).toMatch(/^just a sentence/);
  });

  it("S3 XML through the API", () => {
    const xml = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>S3REQ</RequestId></Error>";
    const e = createApiError(response(403), xml, { url: URL_ });
    expect(e.code).toBe("AccessDenied");
    expect(e.requestId).toBe("S3REQ");
    expect(e.message).toMatch(/^AccessDenied: Request has expired/);
  });

  it("a 401 says where to set the key", () => {
    const e = createApiError(response(401), { error: "Unauthorized" }, { url: URL_ });
    expect(e).toBeInstanceOf(AuthError);
    expect(e.message).toMatch(/^Unauthorized: the API key is missing, wrong or revoked \(check --api-key, KVCDN_API_KEY/);
  });
});

describe("403 quota vs forbidden", () => {
  it("quota_exceeded with flat usage → QuotaExceededError carrying usage", () => {
    const usage = { used_bytes: 10, quota_bytes: 100, artifact_count: 20, artifact_limit: 20 };
    const e = createApiError(response(403), { error: "quota_exceeded", message: "Free plan allows 20 artifacts", usage }, { url: URL_ });
    expect(e).toBeInstanceOf(QuotaExceededError);
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(isQuotaExceededError(e) && isForbiddenError(e)).toBe(true);
    expect((e as QuotaExceededError).usage).toEqual(usage);
  });

  it("a quota sentence with the nested quota shape", () => {
    const body = { error: "Artifact quota exceeded", quota: { artifacts: 20, storage_bytes: 1000 }, used: { artifacts: 20, storage_bytes: 5 } };
    const e = createApiError(response(403), body, { url: URL_ }) as QuotaExceededError;
    expect(e).toBeInstanceOf(QuotaExceededError);
    expect(e.usage).toEqual({ used_bytes: 5, quota_bytes: 1000, artifact_count: 20, artifact_limit: 20 });
  });

  it("a quota error without figures has usage undefined", () => {
    const e = createApiError(response(403), { error: "quota_exceeded" }, { url: URL_ }) as QuotaExceededError;
    expect(e).toBeInstanceOf(QuotaExceededError);
    expect(e.usage).toBeUndefined();
  });

  it("any other 403 is ForbiddenError, not quota", () => {
    const e = createApiError(response(403), { error: "forbidden", message: "Not a member of this organization" }, { url: URL_ });
    expect(e).toBeInstanceOf(ForbiddenError);
    expect(isQuotaExceededError(e)).toBe(false);
  });
});

describe("Retry-After and request ids", () => {
  it("Retry-After seconds on a 429", () => {
    const e = createApiError(response(429, { "retry-after": "3" }), { error: "rate_limited" }, { url: URL_ });
    expect(e).toBeInstanceOf(RateLimitError);
    expect(e.retryAfterMs).toBe(3000);
  });

  it("Retry-After as an HTTP date on a 503", () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const e = createApiError(response(503, { "retry-after": at }), undefined, { url: URL_ });
    expect(e.retryAfterMs).toBeGreaterThan(50_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("x-amz-request-id and a body request_id are used when x-request-id is absent", () => {
    expect(createApiError(response(500, { "x-amz-request-id": "amz" }), undefined, { url: URL_ }).requestId).toBe("amz");
    expect(createApiError(response(500), { error: "boom", request_id: "body-id" }, { url: URL_ }).requestId).toBe("body-id");
  });
});

describe("the API key never leaks into an error", () => {
  const key = `kv_${"ab".repeat(32)}`;
  it("scrubs the key and Bearer tokens from message and body", () => {
    const body = { error: `invalid key ${key}`, message: `Authorization: Bearer ${key} rejected`, echo: { header: `Bearer sometoken123` } };
    const e = createApiError(response(401), body, { url: URL_, secrets: [key] });
    const dump = JSON.stringify({ message: e.message, body: e.body, url: e.url, stack: e.stack });
    expect(dump).not.toContain(key);
    expect(dump).not.toContain("sometoken123");
    expect(e.message).toContain("[redacted]");
  });

  it("scrubs a key that is not kv_-shaped when it is passed as a secret", () => {
    const odd = "my-oidc-access-token-0123456789";
    const e = createApiError(response(400), `token ${odd} is malformed`, { url: URL_, secrets: [odd] });
    expect(e.message).not.toContain(odd);
    expect(JSON.stringify(e.body)).not.toContain(odd);
  });
});
