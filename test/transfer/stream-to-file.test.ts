import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveRetryOptions } from "../../src/retry/retry-options.js";
import type { TransferProgress } from "../../src/transfer/progress.js";
import { streamToFile } from "../../src/transfer/stream-to-file.js";
import { s3ErrorXml, startRawServer, type RawServer } from "./raw-server.js";

const bytes = randomBytes(2 * 1024 * 1024 + 333);
const sha256 = createHash("sha256").update(bytes).digest("hex");
const retry = resolveRetryOptions({ delay: () => 1 });
let dir: string;
let server: RawServer;
let other: RawServer;

/** Serve `bytes` honouring `Range: bytes=N-`, optionally cutting the connection after `cutAt` body bytes. */
function serve(res: import("node:http").ServerResponse, range: string | undefined, options: { cutAt?: number; corruptAt?: number } = {}) {
  const start = range ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
  let body = Buffer.from(bytes.subarray(start));
  if (options.corruptAt !== undefined) {
    body = Buffer.from(body);
    body[options.corruptAt] = (body[options.corruptAt] ?? 0) ^ 0xff;
  }
  res.statusCode = range ? 206 : 200;
  res.setHeader("content-length", String(body.length));
  res.setHeader("etag", '"v1"');
  if (range) res.setHeader("content-range", `bytes ${start}-${bytes.length - 1}/${bytes.length}`);
  if (options.cutAt !== undefined) {
    res.write(body.subarray(0, options.cutAt), () => res.socket?.destroy());
    return;
  }
  res.end(body);
}

const entries = async () => (await readdir(dir)).sort();

beforeAll(async () => {
  server = await startRawServer();
  other = await startRawServer();
});
afterAll(async () => {
  await server.close();
  await other.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-dl-"));
  server.seen.length = 0;
  other.seen.length = 0;
  return () => rm(dir, { recursive: true, force: true });
});

const base = () => ({ retry, maxResumes: 5, transferTimeout: { baseMs: 10_000 } });

describe("streamToFile", () => {
  it("resumes with Range after the connection drops halfway, and verifies the hash over the whole file", async () => {
    let calls = 0;
    server.handle((req, res) => {
      calls++;
      serve(res, req.headers.range, calls === 1 ? { cutAt: bytes.length / 2 } : {});
    });
    const dest = join(dir, "ctx.kv");
    const events: TransferProgress[] = [];
    const result = await streamToFile({
      ...base(),
      source: { url: async () => `${server.url}/obj` },
      dest,
      expectedSha256: sha256,
      expectedSize: bytes.length,
      onProgress: (e) => events.push(e),
    });
    expect(result).toMatchObject({ path: dest, sizeBytes: bytes.length, sha256 });
    expect((await readFile(dest)).equals(bytes)).toBe(true);
    expect(server.seen[1]?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(server.seen[1]?.headers["if-range"]).toBe('"v1"');
    expect(Number(/\d+/.exec(server.seen[1]?.headers.range ?? "")?.[0])).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ phase: "verifying", bytes: bytes.length, totalBytes: bytes.length });
    expect(await entries()).toEqual(["ctx.kv"]);
  });

  it("starts over when the server ignores Range and sends the whole object again", async () => {
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      serve(res, undefined, calls === 1 ? { cutAt: 1000 } : {});
    });
    const dest = join(dir, "ctx.kv");
    const result = await streamToFile({ ...base(), source: { url: async () => `${server.url}/obj` }, dest, expectedSha256: sha256 });
    expect(result.sha256).toBe(sha256);
    expect((await readFile(dest)).equals(bytes)).toBe(true);
  });

  it("gets a fresh URL when storage says the old one expired, then resumes", async () => {
    let calls = 0;
    server.handle((req, res) => {
      calls++;
      if (calls === 1) return serve(res, req.headers.range, { cutAt: 4096 });
      if (!req.url?.includes("fresh")) {
        res.statusCode = 403;
        res.end(s3ErrorXml("AccessDenied", "Request has expired"));
        return;
      }
      serve(res, req.headers.range);
    });
    const asked: boolean[] = [];
    const result = await streamToFile({
      ...base(),
      source: {
        url: async (fresh) => {
          asked.push(fresh);
          return `${server.url}/obj${asked.filter(Boolean).length > 0 ? "?fresh" : ""}`;
        },
      },
      dest: join(dir, "ctx.kv"),
      expectedSha256: sha256,
    });
    expect(result.sha256).toBe(sha256);
    expect(asked).toEqual([false, false, true]);
    expect(server.seen.at(-1)?.headers.range).toBe("bytes=4096-");
  });

  it("waits Retry-After on 503 and then succeeds", async () => {
    let calls = 0;
    server.handle((req, res) => {
      calls++;
      if (calls === 1) {
        res.statusCode = 503;
        res.setHeader("retry-after", "0");
        res.end(s3ErrorXml("SlowDown", "busy"));
        return;
      }
      serve(res, req.headers.range);
    });
    const result = await streamToFile({ ...base(), source: { url: async () => `${server.url}/obj` }, dest: join(dir, "a.kv"), expectedSha256: sha256 });
    expect(result.sha256).toBe(sha256);
    expect(calls).toBe(2);
  });

  it("fails with IntegrityError on corrupted bytes and leaves the destination as it was, without temp files", async () => {
    server.handle((req, res) => serve(res, req.headers.range, { corruptAt: 12345 }));
    const dest = join(dir, "ctx.kv");
    await writeFile(dest, "previous content");
    const error = await streamToFile({ ...base(), source: { url: async () => `${server.url}/obj` }, dest, expectedSha256: sha256 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "IntegrityError", expected: sha256 });
    expect((error as { actual: string }).actual).toMatch(/^[0-9a-f]{64}$/);
    expect((error as { actual: string }).actual).not.toBe(sha256);
    expect(await readFile(dest, "utf8")).toBe("previous content");
    expect(await entries()).toEqual(["ctx.kv"]);
  });

  it("gives up after maxResumes on a body that keeps getting truncated, leaving nothing behind", async () => {
    server.handle((req, res) => serve(res, req.headers.range, { cutAt: 10 }));
    const error = await streamToFile({ ...base(), maxResumes: 2, source: { url: async () => `${server.url}/obj` }, dest: join(dir, "x.kv"), expectedSha256: sha256 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: "NetworkError" });
    expect(server.seen).toHaveLength(3);
    expect(await entries()).toEqual([]);
  });

  it("rejects with AbortError (cause = reason) when aborted mid-download, leaving nothing behind", async () => {
    const controller = new AbortController();
    server.handle((_req, res) => {
      res.setHeader("content-length", String(bytes.length));
      res.write(bytes.subarray(0, 65536));
      // never finish
    });
    const reason = new Error("user stop");
    const error = await streamToFile({
      ...base(),
      source: { url: async () => `${server.url}/obj` },
      dest: join(dir, "x.kv"),
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === "downloading" && e.bytes > 0) controller.abort(reason);
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AbortError", cause: reason });
    expect(await entries()).toEqual([]);
  });

  it("follows a redirect to another host without credentials and downloads from there", async () => {
    server.handle((_req, res) => {
      res.statusCode = 302;
      res.setHeader("location", `${other.url}/real`);
      res.end();
    });
    other.handle((req, res) => serve(res, req.headers.range));
    const result = await streamToFile({ ...base(), source: { url: async () => `${server.url}/obj` }, dest: join(dir, "r.kv"), expectedSha256: sha256 });
    expect(result.sha256).toBe(sha256);
    for (const req of [...server.seen, ...other.seen]) {
      expect(req.headers.authorization).toBeUndefined();
      expect(req.headers.cookie).toBeUndefined();
    }
    expect(other.seen).toHaveLength(1);
  });

  it("fails with LocalFileError (ENOSPC) when a write hits a full disk, leaving the destination as it was", async () => {
    server.handle((req, res) => serve(res, req.headers.range));
    const dest = join(dir, "full.kv");
    await writeFile(dest, "old");
    // Fail every file write (write or writev) once 1 MiB has gone to disk, as a full disk would.
    const fs = await import("node:fs/promises");
    const probe = await fs.open(dest, "r");
    await probe.close();
    const handleProto = Object.getPrototypeOf(probe) as Record<"write" | "writev", (...args: unknown[]) => Promise<unknown>>;
    let written = 0;
    const enospc = () => Promise.reject(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
    const originalWrite = handleProto.write;
    const originalWritev = handleProto.writev;
    const spies = [
      vi.spyOn(handleProto, "write").mockImplementation(function (this: unknown, ...args: unknown[]) {
        written += (args[0] as Uint8Array).length;
        return written > 1024 * 1024 ? enospc() : originalWrite.apply(this, args);
      }),
      vi.spyOn(handleProto, "writev").mockImplementation(function (this: unknown, ...args: unknown[]) {
        written += (args[0] as Uint8Array[]).reduce((n, b) => n + b.length, 0);
        return written > 1024 * 1024 ? enospc() : originalWritev.apply(this, args);
      }),
    ];
    try {
      const error = await streamToFile({ ...base(), source: { url: async () => `${server.url}/obj` }, dest, expectedSha256: sha256 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "LocalFileError", code: "ENOSPC", path: dest });
      expect(server.seen).toHaveLength(1); // a local disk problem is not retried
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(await readFile(dest, "utf8")).toBe("old");
    expect(await entries()).toEqual(["full.kv"]);
  });

  const tmpfs = join(tmpdir(), `kvcdn-tinyfs-${process.pid}`);
  let mounted = false;
  beforeAll(async () => {
    try {
      await mkdir(tmpfs, { recursive: true });
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", tmpfs], { stdio: "ignore" });
      mounted = true;
    } catch {
      mounted = false; // not root, or no mount: the injected-error test above covers the behaviour
    }
  });
  afterAll(async () => {
    if (mounted) execFileSync("umount", [tmpfs], { stdio: "ignore" });
    await rm(tmpfs, { recursive: true, force: true });
  });

  it("fails cleanly on a really full disk (a 1 MiB tmpfs, when the test may mount one)", async (ctx) => {
    if (!mounted) ctx.skip();
    server.handle((req, res) => serve(res, req.headers.range));
    const dest = join(tmpfs, "big.kv");
    const error = await streamToFile({ ...base(), source: { url: async () => `${server.url}/obj` }, dest, expectedSha256: sha256 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "LocalFileError", code: "ENOSPC" });
    expect(await readdir(tmpfs)).toEqual([]);
  });
});
