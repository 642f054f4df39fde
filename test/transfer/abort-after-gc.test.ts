import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createKvcdnClient } from "../../src/client/index.js";
import { resolveRetryOptions } from "../../src/retry/retry-options.js";
import { putPresigned } from "../../src/transfer/put-presigned.js";
import { streamToFile } from "../../src/transfer/stream-to-file.js";
import { wholeFileBody } from "../../src/transfer/upload-body.js";
import { startRawServer, type RawServer } from "./raw-server.js";

// Node's fetch links a Request's signal to the signal it was built with through weak references only: once the
// Request object is collected, aborting no longer reaches the request in flight
// (docs/toolchain.md#aborts-and-garbage-collection). These tests force a full garbage collection while a request
// waits on a silent server, then let the deadline fire.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const HANG = Symbol("hang");
/** Settle `promise` (value or error), or give HANG if it is still pending long after its deadline. */
async function settle<T>(promise: Promise<T>, ms = 8_000): Promise<T | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<typeof HANG>((resolve) => {
    timer = setTimeout(() => resolve(HANG), ms);
  });
  try {
    return await Promise.race([promise.catch((e: unknown) => e), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolve once the server has called `ready`, then collect garbage twice. */
function collectWhen(): { ready: () => void; collected: Promise<void> } {
  let ready = () => {};
  const collected = new Promise<void>((resolve) => {
    ready = () => {
      setTimeout(() => {
        collectGarbage();
        collectGarbage();
        resolve();
      }, 20);
    };
  });
  return { ready, collected };
}

const signedUrl = (base: string) =>
  `${base}/storage/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-SignedHeaders=content-length%3Bhost&X-Amz-Signature=${"a".repeat(64)}`;

let dir: string;
let server: RawServer;
const bytes = randomBytes(1024 * 1024 + 5);

beforeAll(async () => {
  server = await startRawServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-gc-"));
  return () => rm(dir, { recursive: true, force: true });
});

describe("deadlines survive garbage collection of the Request", () => {
  it("a presigned PUT whose body was all sent but never answered ends in TimeoutError", async () => {
    const file = join(dir, "ctx.kv");
    await writeFile(file, bytes);
    const gc = collectWhen();
    server.handle(async (_req, _res, body) => {
      await body();
      gc.ready();
      // never answer
    });
    const outcome = await settle(putPresigned({ url: signedUrl(server.url), body: wholeFileBody(file, bytes.length), timeoutMs: 1_500 }));
    await gc.collected;
    expect(outcome).not.toBe(HANG);
    expect(outcome).toMatchObject({ ok: false, retry: "fresh-url", error: { name: "TimeoutError" } });
  });

  it("a download whose body stalls after the headers ends in TimeoutError and leaves no file", async () => {
    const gc = collectWhen();
    server.handle((_req, res) => {
      res.statusCode = 200;
      res.setHeader("content-length", String(bytes.length));
      res.write(bytes.subarray(0, 1000), () => gc.ready());
      // the rest never comes
    });
    const dest = join(dir, "out.kv");
    const error = await settle(
      streamToFile({
        source: { url: async () => signedUrl(server.url) },
        dest,
        retry: resolveRetryOptions({ limit: 0 }),
        maxResumes: 0,
        transferTimeout: { baseMs: 1_500, minBytesPerSecond: 1e12 },
      }),
    );
    await gc.collected;
    expect(error).not.toBe(HANG);
    expect(error).toMatchObject({ name: "TimeoutError" });
    expect(await readdir(dir)).toEqual([]);
  });

  it("an API call that is never answered ends in TimeoutError after its per-attempt timeout", async () => {
    const gc = collectWhen();
    server.handle(() => {
      gc.ready();
      // never answer
    });
    const client = createKvcdnClient({ apiUrl: server.url, apiKey: "kv_test", env: {}, configPath: false, retry: 0, timeout: 1_500 });
    const error = await settle(client.usage());
    await gc.collected;
    expect(error).not.toBe(HANG);
    expect(error).toMatchObject({ name: "TimeoutError" });
  });
});
