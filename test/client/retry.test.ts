import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { backoffDelay, type RetryEvent } from "../../src/client/index.js";
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
    const a = await makeClient({ retries: { limit: 2, minDelayMs: 1, maxDelayMs: 5, onRetry: log.onRetry } }).get("a1");
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
    const usage = await makeClient({ retries: { limit: 3, minDelayMs: 1, maxDelayMs: 5, onRetry: log.onRetry } }).usage();
    expect(usage.artifact_limit).toBe(20);
    // 50 ms from Retry-After plus at most 1 ms jitter (minDelayMs); then a date in the past means "now".
    expect(log.events[0]?.delayMs).toBeGreaterThanOrEqual(50);
    expect(log.events[0]?.delayMs).toBeLessThanOrEqual(51);
    expect(log.events[1]?.delayMs).toBeLessThanOrEqual(1);
  });

  it("gives up after the retry limit with the last typed error", async () => {
    const scope = nock(API).get("/api/v1/artifacts/a1").times(3).reply(502, { error: "Bad Gateway" });
    const e = await makeClient({ retries: { limit: 2, minDelayMs: 1, maxDelayMs: 2 } }).get("a1").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServerError);
    expect((e as ServerError).status).toBe(502);
    expect(scope.isDone()).toBe(true);
  });

  it("does not wait for a Retry-After longer than maxRetryAfterMs", async () => {
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
  it("doubles from minDelayMs with equal jitter, capped at maxDelayMs", () => {
    const p = { minDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay({ ...p, attempt, random: () => 0 }))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay({ ...p, attempt, random: () => 1 }))).toEqual([100, 200, 400, 800, 1000]);
  });

  it("uses Retry-After when given", () => {
    expect(backoffDelay({ attempt: 4, minDelayMs: 100, maxDelayMs: 1000, retryAfterMs: 2000, random: () => 0 })).toBe(2000);
  });
});
