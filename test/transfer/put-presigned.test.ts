import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { putPresigned } from "../../src/transfer/put-presigned.js";
import { wholeFileBody } from "../../src/transfer/upload-body.js";
import { s3ErrorXml, startRawServer, type RawServer } from "./raw-server.js";

let dir: string;
let file: string;
const bytes = randomBytes(3 * 1024 * 1024 + 17);
let storage: RawServer;
let other: RawServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-put-"));
  file = join(dir, "ctx.kv");
  await writeFile(file, bytes);
  storage = await startRawServer();
  other = await startRawServer();
});
afterAll(async () => {
  await storage.close();
  await other.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  storage.seen.length = 0;
  other.seen.length = 0;
});

const signedUrl = (base: string) =>
  `${base}/storage/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-SignedHeaders=content-length%3Bhost&X-Amz-Signature=${"a".repeat(64)}`;

describe("putPresigned", () => {
  it("streams exactly the file with its Content-Length, octet-stream and the upload_headers, and no credential", async () => {
    storage.handle(async (_req, res, body) => {
      await body();
      res.setHeader("etag", '"abc"');
      res.end();
    });
    let lastProgress = 0;
    const outcome = await putPresigned({
      url: signedUrl(storage.url),
      body: wholeFileBody(file, bytes.length),
      uploadHeaders: { "X-Custom-Signed": "1", Authorization: "Bearer kv_leak", "x-amz-checksum-crc32": "AAAAAA==" },
      timeoutMs: 30_000,
      onBytes: (n) => {
        lastProgress = n;
      },
    });
    expect(outcome).toEqual({ ok: true, etag: '"abc"' });
    const [req] = storage.seen;
    expect(req?.method).toBe("PUT");
    expect(req?.headers["content-length"]).toBe(String(bytes.length));
    expect(req?.headers["transfer-encoding"]).toBeUndefined();
    expect(req?.headers["content-type"]).toBe("application/octet-stream");
    expect(req?.headers["x-custom-signed"]).toBe("1");
    expect(req?.headers.authorization).toBeUndefined();
    expect(Object.keys(req?.headers ?? {}).filter((h) => h.startsWith("x-amz-"))).toEqual([]);
    expect(req?.body.equals(bytes)).toBe(true);
    expect(lastProgress).toBe(bytes.length);
  });

  it("asks for a fresh URL on S3's 403 AccessDenied (expired), with the parsed code", async () => {
    storage.handle(async (_req, res, body) => {
      await body();
      res.statusCode = 403;
      res.setHeader("content-type", "application/xml");
      res.end(s3ErrorXml("AccessDenied", "Request has expired"));
    });
    const outcome = await putPresigned({ url: signedUrl(storage.url), body: wholeFileBody(file, bytes.length), timeoutMs: 30_000 });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.retry).toBe("fresh-url");
    expect(outcome.error).toMatchObject({ name: "PresignedUrlError", status: 403, code: "AccessDenied" });
    expect(outcome.error.message).not.toContain("X-Amz-Signature");
  });

  it("backs off on 503 SlowDown and reports Retry-After", async () => {
    storage.handle(async (_req, res, body) => {
      await body();
      res.statusCode = 503;
      res.setHeader("retry-after", "2");
      res.end(s3ErrorXml("SlowDown", "Please reduce your request rate."));
    });
    const outcome = await putPresigned({ url: signedUrl(storage.url), body: wholeFileBody(file, bytes.length), timeoutMs: 30_000 });
    expect(outcome).toMatchObject({ ok: false, retry: "backoff", retryAfterMs: 2000, error: { code: "SlowDown" } });
  });

  it("treats a connection reset halfway through the body as a broken URL (fresh URL, restart from byte 0)", async () => {
    storage.handle((req) => {
      let received = 0;
      req.on("data", (c: Buffer) => {
        received += c.length;
        if (received >= bytes.length / 2) req.socket.destroy();
      });
    });
    const outcome = await putPresigned({ url: signedUrl(storage.url), body: wholeFileBody(file, bytes.length), timeoutMs: 30_000 });
    expect(outcome).toMatchObject({ ok: false, retry: "fresh-url", error: { name: "NetworkError" } });
  });

  it("does not follow a redirect (the signature is bound to its host): a fresh URL, and no credential sent anywhere", async () => {
    other.handle(async (_req, res, body) => {
      await body();
      res.end();
    });
    storage.handle(async (_req, res) => {
      res.statusCode = 307;
      res.setHeader("location", signedUrl(other.url));
      res.end();
    });
    const outcome = await putPresigned({
      url: signedUrl(storage.url),
      body: wholeFileBody(file, bytes.length),
      uploadHeaders: { Authorization: "Bearer kv_leak", Cookie: "s=1" },
      timeoutMs: 30_000,
    });
    expect(outcome).toMatchObject({ ok: false, retry: "fresh-url", error: { name: "PresignedUrlError", code: "UnexpectedRedirect" } });
    expect(other.seen).toHaveLength(0);
    for (const req of storage.seen) {
      expect(req.headers.authorization).toBeUndefined();
      expect(req.headers.cookie).toBeUndefined();
    }
  });

  it("rejects with AbortError (cause = reason) when aborted mid-body", async () => {
    const controller = new AbortController();
    storage.handle((req) => {
      let received = 0;
      req.on("data", (c: Buffer) => {
        received += c.length;
        if (received >= 1024 * 1024) controller.abort(new Error("user stop"));
      });
    });
    await expect(
      putPresigned({ url: signedUrl(storage.url), body: wholeFileBody(file, bytes.length), timeoutMs: 30_000, signal: controller.signal }),
    ).rejects.toMatchObject({ name: "AbortError", cause: { message: "user stop" } });
  });

  it("gives up on a stalled PUT with TimeoutError (fresh-url) once its size-scaled timeout passes", async () => {
    storage.handle(() => {
      // never answer
    });
    const outcome = await putPresigned({ url: signedUrl(storage.url), body: wholeFileBody(file, bytes.length), timeoutMs: 200 });
    expect(outcome).toMatchObject({ ok: false, retry: "fresh-url", error: { name: "TimeoutError" } });
  });
});
