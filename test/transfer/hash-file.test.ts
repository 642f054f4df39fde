import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashFile } from "../../src/transfer/hash-file.js";
import type { TransferProgress } from "../../src/transfer/progress.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-hash-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("hashFile", () => {
  it("gives the SHA-256 and size of a multi-chunk file, matching node:crypto over the whole buffer", async () => {
    const bytes = randomBytes(3 * 65536 + 123);
    const file = join(dir, "a.kv");
    await writeFile(file, bytes);
    const events: TransferProgress[] = [];
    const digest = await hashFile({ file, chunkBytes: 65536, onProgress: (e) => events.push(e) });
    expect(digest).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), sizeBytes: bytes.length });
    expect(events.every((e) => e.phase === "hashing" && e.totalBytes === bytes.length)).toBe(true);
    expect(events.map((e) => e.bytes)).toEqual([0, 65536, 131072, 196608, bytes.length]);
  });

  it("hashes an empty file", async () => {
    const file = join(dir, "empty.kv");
    await writeFile(file, "");
    expect(await hashFile({ file })).toEqual({ sha256: createHash("sha256").digest("hex"), sizeBytes: 0 });
  });

  it("fails with LocalFileError (ENOENT) for a missing file", async () => {
    await expect(hashFile({ file: join(dir, "missing.kv") })).rejects.toMatchObject({ name: "LocalFileError", code: "ENOENT" });
  });

  it("rejects with AbortError carrying the signal's reason", async () => {
    const file = join(dir, "b.kv");
    await writeFile(file, randomBytes(4 * 65536));
    const controller = new AbortController();
    const reason = new Error("stop");
    const promise = hashFile({
      file,
      chunkBytes: 65536,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.bytes >= 65536) controller.abort(reason);
      },
    });
    await expect(promise).rejects.toMatchObject({ name: "AbortError", cause: reason });
  });
});
