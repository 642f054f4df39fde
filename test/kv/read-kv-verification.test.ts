import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvFormatError } from "../../src/errors/index.js";
import { readKv, writeKv, type KvCache } from "../../src/kv/index.js";
import { readVerification, recordVerification } from "../../src/kv/verification-record.js";

let dir: string;
const cache: KvCache<"F32"> = {
  dtype: "F32",
  layers: [0, 1].map((i) => ({
    key: { dtype: "F32", shape: [1, 2, 3, 4], data: Float32Array.from({ length: 24 }, (_, j) => i + j / 8) },
    value: { dtype: "F32", shape: [1, 2, 3, 4], data: Float32Array.from({ length: 24 }, (_, j) => i - j / 8) },
  })),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-readkv-verified-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Overwrite the last byte of `path` in place (same size, same inode; the mtime moves). */
async function flipLastByte(path: string): Promise<void> {
  const size = (await stat(path)).size;
  const handle = await open(path, "r+");
  try {
    const b = Buffer.alloc(1);
    await handle.read(b, 0, 1, size - 1);
    b[0] = b[0]! ^ 0xff;
    await handle.write(b, 0, 1, size - 1);
  } finally {
    await handle.close();
  }
}

describe("readKv and verification records", () => {
  it("records a successful SHA-256 check, and skips the hash while the record holds", async () => {
    const file = join(dir, "a.kv");
    const { sha256 } = await writeKv(file, cache, { sidecar: { model_name: "m" } });
    expect(await readVerification(file)).toBeUndefined();
    await readKv(file);
    expect((await readVerification(file))?.sha256).toBe(sha256);

    // Proof that the hash is skipped: corrupt a byte, then record the (now wrong) digest for the new identity.
    // readKv trusts the record and returns the bytes; without the record it would fail the check.
    await flipLastByte(file);
    await recordVerification(file, sha256);
    await expect(readKv(file)).resolves.toMatchObject({ metadata: { sha256 } });
    await expect(readKv(file, { verifySha256: true, recordVerification: false })).resolves.toBeDefined();
  });

  it("re-hashes a file whose record went stale (size or mtime changed) and reports the mismatch", async () => {
    const file = join(dir, "b.kv");
    await writeKv(file, cache, { sidecar: { model_name: "m" } });
    await readKv(file);
    expect(await readVerification(file)).toBeDefined();
    await flipLastByte(file);
    const error = await readKv(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvFormatError);
    expect((error as KvFormatError).code).toBe("checksum_mismatch");
    // A failed check records nothing: the stale record is not refreshed.
    expect(await readVerification(file)).toBeUndefined();
  });

  it("writes no record with recordVerification: false or verifySha256: false", async () => {
    const file = join(dir, "c.kv");
    await writeKv(file, cache, { sidecar: { model_name: "m" } });
    await readKv(file, { recordVerification: false });
    await readKv(file, { verifySha256: false });
    expect(await readVerification(file)).toBeUndefined();
  });
});
