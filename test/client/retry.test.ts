import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/retry/backoff-delay.js";
import { DEFAULT_RETRY, resolveRetryOptions, type RetryEvent } from "../../src/retry/retry-options.js";
import { NotFoundError, QuotaExceededError, RateLimitError, ServerError, ValidationError } from "../../src/errors/index.js";
import { API, makeClient, nock, useNock, wireArtifact } from "./helpers.js";

beforeAll(useNock);
afterEach(() => nock.cleanAll());

function retryLog(): { events: RetryEvent[]; onRetry: (e: RetryEvent) => void } {
  const events: RetryEvent[] = [];
  return { events, onRetry: (e) => events.push(e) };
}

describe("idempotent calls retry", () => {
  it("retries a GET after 500 and 503 and returns the answer", async () => {
    const log = retryLog();
    const scope = nock(API)
      .get("/api/v1/artifacts/a1").reply(500, { error: "boom" })
      .get("/api/v1/artifacts/a1").reply(503, "<html><title>503</title></html>", { "content-type": "text/html" })
      .get("/api/v1/artifacts/a1").reply(200, wireArtifact("a1"));
    const a = await makeClient({ retry: { limit: 2, delay: () => 1, onRetry: log.onRetry } }).get("a1");
    expect(a.id).toBe("a1");
    expect(scope.isDone()).toBe(true);
    expect(log.events.map((e) => [e.operation, e.attempt, e.error.name])).toEqual([
      ["GET /api/v1/artifacts/a1", 1, "ServerError"],
      ["GET /api/v1/artifacts/a1", 2, "ServerError"],
    ]);
  });

  it("waits what Retry-After says on a 429 (seconds and HTTP date)", async () => {
    const log = retryLog();
    nock(API)
      .get("/api/v1/usage").reply(429, { error: "rate_limited" }, { "retry-after": "0.05" })
      .get("/api/v1/usage").reply(429, { error: "rate_limited" }, { "retry-after": new Date(Date.now() - 1000).toUTCString() })
      .get("/api/v1/usage").reply(200, { used_bytes: 1, quota_bytes: 2, artifact_count: 3, artifact_limit: 20 });
    const usage = await makeClient({ retry: { limit: 3, delay: () => 1, onRetry: log.onRetry } }).usage();
    expect(usage.artifact_limit).toBe(20);
    // 50 ms from Retry-After plus at most 1 ms jitter (delay(1)); then a date in the past means "now".
    expect(log.events[0]?.delayMs).toBeGreaterThanOrEqual(50);
    expect(log.events[0]?.delayMs).toBeLessThanOrEqual(51);
    expect(log.events[1]?.delayMs).toBeLessThanOrEqual(1);
  });

  it("gives up after the retry limit with the last typed error", async () => {
    const scope = nock(API).get("/api/v1/artifacts/a1").times(3).reply(502, { error: "Bad Gateway" });
    const e = await makeClient({ retry: { limit: 2, delay: () => 1 } }).get("a1").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect((e as ServerError).status).toBe(502);
    expect(scope.isDone()).toBe(true);
  });

  it("a persistent 429 on a GET makes exactly limit + 1 calls", async () => {
    let calls = 0;
    nock(API).get("/api/v1/artifacts/a1").times(20).reply(() => {
      calls++;
      return [429, { error: "rate_limited" }, { "retry-after": "0" }];
    });
    const e = await makeClient({ retry: { limit: 3, delay: () => 1 } }).get("a1").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitError);
    expect(calls).toBe(4);
  });

  it("a call's own retry overrides the client's", async () => {
    let calls = 0;
    nock(API).get("/api/v1/artifacts/a1").times(20).reply(() => {
      calls++;
      return [503, { error: "busy" }];
    });
    const e = await makeClient({ retry: { limit: 3, delay: () => 1 } }).get("a1", { retry: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect(calls).toBe(2);
  });

  it("does not wait for a Retry-After longer than maxRetryAfter", async () => {
    const scope = nock(API).get("/api/v1/usage").once().reply(429, { error: "slow down" }, { "retry-after": "3600" });
    const e = await makeClient().usage().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as RateLimitError).retryAfterMs).toBe(3_600_000);
    expect(scope.isDone()).toBe(true);
  });

  it("retries a dropped connection", async () => {
    nock(API)
      .post("/api/v1/artifacts/a1/download-url").replyWithError({ code: "ECONNRESET", message: "socket hang up" })
      .post("/api/v1/artifacts/a1/download-url").reply(200, { artifact_id: "a1", download_url: "https://s3.test/x" });
    expect((await makeClient().createDownloadUrl("a1")).download_url).toBe("https://s3.test/x");
  });

  it("never retries 4xx other than 429", async () => {
    const scope = nock(API).get("/api/v1/artifacts/a1").once().reply(400, { error: "invalid artifact_id" });
    await expect(makeClient().get("a1")).rejects.toBeInstanceOf(ValidationError);
    expect(scope.isDone()).toBe(true);
  });

  it("a DELETE retried after a 5xx counts a 404 as already deleted", async () => {
    nock(API).delete("/api/v1/artifacts/a1").reply(503).delete("/api/v1/artifacts/a1").reply(404, { error: "Artifact not found" });
    await expect(makeClient().delete("a1")).resolves.toEqual({ id: "a1", deleted: true });
  });

  it("a first-try DELETE 404 is NotFoundError", async () => {
    nock(API).delete("/api/v1/artifacts/a1").reply(404, { error: "Artifact not found" });
    await expect(makeClient().delete("a1")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("accepts 200 and 204 for DELETE", async () => {
    nock(API).delete("/api/v1/artifacts/a1").reply(200, "OK", { "content-type": "text/plain" }).delete("/api/v1/artifacts/a2").reply(204);
    const client = makeClient();
    await expect(client.delete("a1")).resolves.toEqual({ id: "a1", deleted: true });
    await expect(client.delete("a2")).resolves.toEqual({ id: "a2", deleted: true });
  });
});

describe("upload-url is never retried blindly", () => {
  const body = { model_name: "Qwen/Qwen3-0.6B", dtype: "F16", size_bytes: 1, checksum: "c".repeat(64) };

  it("does not retry a 500 (the artifact may exist)", async () => {
    const scope = nock(API).post("/api/v1/artifacts/upload-url").once().reply(500, { error: "db timeout" });
    const e = await makeClient().createUploadUrl(body).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("does not retry a dropped connection or a 503 without Retry-After", async () => {
    nock(API).post("/api/v1/artifacts/upload-url").once().replyWithError({ code: "ECONNRESET", message: "reset" });
    await expect(makeClient().createUploadUrl(body)).rejects.toMatchObject({ name: "NetworkError" });
    nock(API).post("/api/v1/artifacts/upload-url").once().reply(503);
    await expect(makeClient().createUploadUrl(body)).rejects.toBeInstanceOf(ServerError);
  });

  it("retries 429 and 503 with Retry-After (the request was not processed)", async () => {
    const scope = nock(API)
      .post("/api/v1/artifacts/upload-url").reply(429, { error: "rate_limited" }, { "retry-after": "0" })
      .post("/api/v1/artifacts/upload-url").reply(503, { error: "maintenance" }, { "retry-after": "0" })
      .post("/api/v1/artifacts/upload-url").reply(200, { artifact_id: "n1", url: "https://s3.test/put" });
    expect((await makeClient().createUploadUrl(body)).artifact_id).toBe("n1");
    expect(scope.isDone()).toBe(true);
  });

  it("a quota 403 is not retried and carries usage", async () => {
    const usage = { used_bytes: 5, quota_bytes: 10, artifact_count: 20, artifact_limit: 20 };
    nock(API).post("/api/v1/artifacts/upload-url").once().reply(403, { error: "quota_exceeded", message: "Free plan allows 20 artifacts", usage });
    const e = await makeClient().createUploadUrl(body).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(QuotaExceededError);
    expect((e as QuotaExceededError).usage).toEqual(usage);
  });
});

describe("backoffDelay", () => {
  const p = resolveRetryOptions({ delay: (attempt) => 100 * 2 ** (attempt - 1), backoffLimit: 1000 });

  it("calls delay(attempt) with 1 for the first retry, with equal jitter, capped at backoffLimit", () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(p, { attempt, random: () => 0 }))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(p, { attempt, random: () => 1 }))).toEqual([100, 200, 400, 800, 1000]);
  });

  it("the default doubles from 250 ms up to 8 s", () => {
    expect([1, 2, 3, 6, 10].map((attempt) => backoffDelay(DEFAULT_RETRY, { attempt, random: () => 1 }))).toEqual([250, 500, 1000, 8000, 8000]);
  });

  it("uses Retry-After when given, with at most 100 ms of jitter", () => {
    expect(backoffDelay(p, { attempt: 4, retryAfterMs: 2000, random: () => 0 })).toBe(2000);
    expect(backoffDelay(p, { attempt: 4, retryAfterMs: 2000, random: () => 1 })).toBe(2100);
    expect(backoffDelay(resolveRetryOptions({ delay: () => 0 }), { attempt: 1, retryAfterMs: 2000, random: () => 1 })).toBe(2000);
  });

  it("resolveRetryOptions takes a number for the limit and fills the rest from a base policy", () => {
    const base = resolveRetryOptions({ limit: 5, backoffLimit: 99 });
    expect(resolveRetryOptions(1, base)).toMatchObject({ limit: 1, backoffLimit: 99, maxRetryAfter: 60_000 });
    expect(resolveRetryOptions(undefined, base)).toMatchObject({ limit: 5, backoffLimit: 99 });
    expect(() => resolveRetryOptions({ limit: -1 })).toThrow(TypeError);
  });
});
