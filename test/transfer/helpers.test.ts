import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapSettled } from "../../src/transfer/map-settled.js";
import { presignedHeaders } from "../../src/transfer/presigned-headers.js";
import { resolveDestination, safeKvFileName } from "../../src/transfer/resolve-destination.js";
import { transferTimeoutMs } from "../../src/transfer/transfer-timeout.js";
import { transferEvents } from "../../src/transfer/transfer-events.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-helpers-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("safeKvFileName", () => {
  it.each([
    ["3f1c2b9e-0000-4000-8000-000000000001", "3f1c2b9e-0000-4000-8000-000000000001.kv"],
    ["../../etc/passwd", "etc_passwd.kv"],
    ["..", "artifact.kv"],
    ["a/b\\c", "a_b_c.kv"],
    [".hidden", "hidden.kv"],
    ["ctx.kv", "ctx.kv"],
    ["", "artifact.kv"],
    ["x".repeat(500), `${"x".repeat(200)}.kv`],
  ])("%j becomes %j", (id, name) => {
    expect(safeKvFileName(id)).toBe(name);
  });
});

describe("resolveDestination", () => {
  it("puts <id>.kv inside an existing directory and never outside it", async () => {
    const out = join(dir, "out");
    await mkdir(out);
    expect(await resolveDestination({ dest: out, id: "abc" })).toBe(join(out, "abc.kv"));
    const escaped = await resolveDestination({ dest: out, id: "../../../tmp/evil" });
    expect(dirname(escaped)).toBe(out);
    expect(await resolveDestination({ dest: `${out}/`, id: "%2e%2e" })).toBe(join(out, "2e_2e.kv"));
  });

  it("takes any other path as the file itself", async () => {
    expect(await resolveDestination({ dest: join(dir, "mine.kv"), id: "abc" })).toBe(join(dir, "mine.kv"));
  });

  it("creates a missing trailing-slash destination as a directory, and refuses one that is a file", async () => {
    expect(await resolveDestination({ dest: join(dir, "new", "sub") + "/", id: "a" })).toBe(join(dir, "new", "sub", "a.kv"));
    expect((await stat(join(dir, "new", "sub"))).isDirectory()).toBe(true);
    await writeFile(join(dir, "file"), "x");
    await expect(resolveDestination({ dest: join(dir, "file") + "/", id: "a" })).rejects.toMatchObject({ name: "LocalFileError" });
  });
});

describe("transferTimeoutMs", () => {
  it("grows with the size at the minimum throughput", () => {
    expect(transferTimeoutMs({ baseMs: 1000, minBytesPerSecond: 1000 }, 5000)).toBe(6000);
    expect(transferTimeoutMs(undefined, 0)).toBe(60_000);
    expect(transferTimeoutMs(false, 1 << 30)).toBe(false);
  });
});

describe("presignedHeaders", () => {
  const url = "https://s.example/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-acl";

  it("keeps upload_headers but drops credentials, stack-owned headers and unsigned x-amz-*/Content-MD5", () => {
    const headers = presignedHeaders(url, {
      "Content-Type": "application/octet-stream",
      Authorization: "Bearer kv_secret",
      Cookie: "a=b",
      Host: "evil",
      "Content-Length": "1",
      "x-amz-acl": "private",
      "x-amz-checksum-crc32": "AAAAAA==",
      "Content-MD5": "x",
      "x-custom": "1",
    });
    expect(Object.fromEntries(headers)).toEqual({ "content-type": "application/octet-stream", "x-amz-acl": "private", "x-custom": "1" });
  });
});

describe("mapSettled", () => {
  it("keeps at most `concurrency` tasks in flight and settles each in input order", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapSettled([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5 * (n % 3)));
      inFlight--;
      if (n === 4) throw new Error("four");
      return n * 10;
    });
    expect(peak).toBe(3);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([10, 20, 30, "four", 50, 60, 70]);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe("transferEvents", () => {
  it("yields the progress events and ends with the result", async () => {
    const phases: string[] = [];
    let result: unknown;
    for await (const e of transferEvents(async ({ onProgress }) => {
      onProgress({ phase: "hashing", bytes: 0, totalBytes: 2 });
      await new Promise((r) => setTimeout(r, 1));
      onProgress({ phase: "uploading", bytes: 2, totalBytes: 2 });
      return "artifact";
    })) {
      phases.push(e.phase);
      if (e.phase === "done") result = e.result;
    }
    expect(phases).toEqual(["hashing", "uploading", "done"]);
    expect(result).toBe("artifact");
  });

  it("throws the transfer's error", async () => {
    const run = async () => {
      for await (const _ of transferEvents(async () => {
        throw new Error("boom");
      })) {
        // nothing
      }
    };
    await expect(run()).rejects.toThrow("boom");
  });

  it("aborts the transfer and waits for it when the consumer leaves early", async () => {
    let cleanedUp = false;
    for await (const e of transferEvents(async ({ onProgress, signal }) => {
      onProgress({ phase: "uploading", bytes: 1, totalBytes: 2 });
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      await new Promise((r) => setTimeout(r, 5));
      cleanedUp = true;
      throw signal.reason;
    })) {
      expect(e.phase).toBe("uploading");
      break;
    }
    expect(cleanedUp).toBe(true);
  });
});
