import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FetchLike } from "../../src/client/index.js";
import { API, KEY, captureLogger, makeClient, nock, useNock } from "./helpers.js";

beforeAll(useNock);
afterEach(() => nock.cleanAll());

/** Everything an error exposes, as text. */
function dump(e: unknown): string {
  const err = e as Error & Record<string, unknown>;
  return [err.message, err.stack, JSON.stringify(err), JSON.stringify(err.body ?? null), String(err.cause ?? "")].join("\n");
}

describe("the API key never appears in errors or logs", () => {
  it("not in an error whose body echoes the key, nor in the debug log", async () => {
    const logger = captureLogger();
    nock(API).get("/api/v1/artifacts/a1").reply(401, { error: `invalid token Bearer ${KEY}`, message: `key ${KEY} revoked` });
    const e = await makeClient({ logger }).get("a1").catch((x: unknown) => x);
    expect((e as Error).name).toBe("AuthError");
    expect(dump(e)).not.toContain(KEY);
    expect(logger.lines.some((l) => l.includes("→ GET https://api.kvcdn.test/api/v1/artifacts/a1 (Authorization: Bearer [redacted])"))).toBe(true);
    expect(logger.lines.join("\n")).not.toContain(KEY);
  });

  it("not in a network error, even when the platform's message contains it", async () => {
    const fetch: FetchLike = async (request) => {
      throw new TypeError(`Headers.set: "${request.headers.get("authorization")}" is an invalid header value`);
    };
    const logger = captureLogger();
    const e = await makeClient({ fetch, logger }).usage().catch((x: unknown) => x);
    expect((e as Error).name).toBe("NetworkError");
    expect((e as Error).message).toContain("[redacted]");
    expect([e as Error].map((x) => `${x.message}\n${x.stack}`).join()).not.toContain(KEY);
    expect(logger.lines.join("\n")).not.toContain(KEY);
  });

  it("not in a non-kv_ bearer token's errors either", async () => {
    const token = "oidc-access-token-with-enough-length-1234";
    nock(API).post("/api/v1/api-keys/verify").reply(401, `rejected ${token}`);
    const logger = captureLogger();
    const e = await makeClient({ apiKey: token, logger }).whoami().catch((x: unknown) => x);
    expect(dump(e)).not.toContain(token);
    expect(logger.lines.join("\n")).not.toContain(token);
    // The odd key shape was warned about, without the key.
    expect(logger.lines.some((l) => l.startsWith("warn ") && l.includes("does not look like a KV Cache Store key"))).toBe(true);
  });

  it("client.redact scrubs the configured key", () => {
    expect(makeClient().redact(`x ${KEY} y`)).toBe("x [redacted] y");
  });
});
