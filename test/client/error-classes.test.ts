import { runInNewContext } from "node:vm";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  AbortError,
  ConfigError,
  IntegrityError,
  KvcdnError,
  NetworkError,
  PresignedUrlError,
  TimeoutError,
  isAbortError,
  isConfigError,
  isHttpError,
  isIntegrityError,
  isKvcdnError,
  isNetworkError,
  isNotFoundError,
  isPresignedUrlError,
  isTimeoutError,
  parseRetryAfter,
  parseS3Error,
  redact,
} from "../../src/errors/index.js";

describe("error classes", () => {
  it("every class has a literal name, extends KvcdnError and keeps its fields", () => {
    const reason = new Error("user cancelled");
    const abort = new AbortError("aborted", { cause: reason });
    expect(abort.cause).toBe(reason);
    expect(abort.name).toBe("AbortError");
    const timeout = new TimeoutError("slow", { timeoutMs: 50, url: "https://x/y" });
    expect(timeout.timeoutMs).toBe(50);
    const integrity = new IntegrityError("bad", { expected: "a".repeat(64), actual: "b".repeat(64), path: "/tmp/f.kv" });
    expect([integrity.expected[0], integrity.actual[0], integrity.path, integrity.code]).toEqual(["a", "b", "/tmp/f.kv", "checksum_mismatch"]);
    const config = new ConfigError("broken", { path: "/c.toml", line: 3, key: "api_url" });
    expect([config.path, config.line, config.key]).toEqual(["/c.toml", 3, "api_url"]);
    for (const e of [abort, timeout, integrity, config, new NetworkError("down")]) {
      expect(e).toBeInstanceOf(KvcdnError);
      expect(e).toBeInstanceOf(Error);
      expect(isKvcdnError(e)).toBe(true);
      expect(isHttpError(e)).toBe(false);
    }
    expect([isAbortError(abort), isTimeoutError(timeout), isIntegrityError(integrity), isConfigError(config)]).toEqual([true, true, true, true]);
    expect(isTimeoutError(abort)).toBe(false);
  });

  it("guards recognise errors from another realm (no instanceof)", () => {
    const foreign: unknown = runInNewContext(
      `const e = new Error("gone"); e.name = "NotFoundError"; Object.defineProperty(e, "isKvcdnError", { get: () => true });
       Object.defineProperty(e, "isHttpError", { get: () => true }); e.status = 404; e`,
    );
    expect(foreign instanceof Error).toBe(false);
    expect(isKvcdnError(foreign)).toBe(true);
    expect(isHttpError(foreign)).toBe(true);
    expect(isNotFoundError(foreign)).toBe(true);
    expect(isNetworkError(foreign)).toBe(false);
    expect(isKvcdnError(new Error("plain"))).toBe(false);
    expect(isKvcdnError(null)).toBe(false);
  });

  it("PresignedUrlError.isExpired recognises S3's expiry answer only", () => {
    const expired = new PresignedUrlError("storage refused", { status: 403, code: "AccessDenied", s3Message: "Request has expired" });
    const signature = new PresignedUrlError("storage refused", { status: 403, code: "SignatureDoesNotMatch", s3Message: "The request signature we calculated does not match" });
    const denied = new PresignedUrlError("storage refused", { status: 403, code: "AccessDenied", s3Message: "Access Denied" });
    expect([expired.isExpired, signature.isExpired, denied.isExpired]).toEqual([true, false, false]);
    expect(isPresignedUrlError(expired)).toBe(true);
  });

  it("guards narrow types", () => {
    const e: unknown = new TimeoutError("x");
    if (isTimeoutError(e)) expectTypeOf(e.timeoutMs).toEqualTypeOf<number | undefined>();
    expectTypeOf(isKvcdnError).guards.toEqualTypeOf<KvcdnError>();
  });
});

describe("parseS3Error", () => {
  it("reads Code, Message and RequestId, decoding entities", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>Sig &amp; headers &lt;bad&gt;</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
    expect(parseS3Error(xml)).toEqual({ code: "SignatureDoesNotMatch", message: "Sig & headers <bad>", requestId: "4442587FB7D0A2F9" });
  });

  it("returns undefined for anything else", () => {
    expect(parseS3Error("<html><body>Error</body></html>")).toBeUndefined();
    expect(parseS3Error('{"error":"x"}')).toBeUndefined();
    expect(parseS3Error("")).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds and HTTP dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("0.25", now)).toBe(250);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
  });

  it("ignores what it cannot read", () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("")).toBeUndefined();
    expect(parseRetryAfter("-5")).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("redact", () => {
  it("scrubs given secrets, kv_ keys and Bearer tokens", () => {
    const key = `kv_${"0f".repeat(32)}`;
    const out = redact(`key=${key} other=kv_${"1".repeat(40)} Authorization: Bearer eyJhbGciOi.abc.def, done`, ["s3cr3t-value"]);
    expect(out).toBe("key=kv_[redacted] other=kv_[redacted] Authorization: Bearer [redacted], done");
    expect(redact("x s3cr3t-value y", ["s3cr3t-value"])).toBe("x [redacted] y");
  });

  it("leaves short kv_ words and ordinary text alone", () => {
    expect(redact("kv_cache files and kv_abc")).toBe("kv_cache files and kv_abc");
  });
});
