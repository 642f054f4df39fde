import { mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isVerified, readVerification, recordVerification, verificationRecordPath } from "../../src/kv/verification-record.js";

const SHA = "a".repeat(64);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-verified-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("verification records", () => {
  it("holds while the file is unchanged", async () => {
    const file = join(dir, "a.kv");
    await writeFile(file, "bytes");
    const record = await recordVerification(file, SHA);
    expect(record.sizeBytes).toBe(5);
    expect(await readVerification(file)).toEqual(record);
    expect(await isVerified(file, SHA)).toBe(true);
    expect(await isVerified(file, "b".repeat(64))).toBe(false);
  });

  it("is ignored once the size or mtime changes", async () => {
    const file = join(dir, "b.kv");
    await writeFile(file, "bytes");
    await recordVerification(file, SHA);
    await writeFile(file, "bytes!");
    expect(await readVerification(file)).toBeUndefined();

    await writeFile(file, "bytes");
    await recordVerification(file, SHA);
    const later = new Date(Date.now() + 5_000);
    await utimes(file, later, later);
    expect(await isVerified(file, SHA)).toBe(false);
  });

  it("is ignored when the file was replaced by another with the same size and mtime", async () => {
    const file = join(dir, "c.kv");
    const other = join(dir, "c.other");
    await writeFile(file, "bytes");
    await recordVerification(file, SHA);
    await writeFile(other, "BYTES");
    const when = new Date(1_700_000_000_000);
    await utimes(file, when, when);
    await recordVerification(file, SHA);
    await utimes(other, when, when);
    await rename(other, file);
    expect(await readVerification(file)).toBeUndefined();
  });

  it("never trusts a malformed record or a missing file", async () => {
    const file = join(dir, "d.kv");
    await writeFile(file, "bytes");
    await writeFile(verificationRecordPath(file), '{"sha256": "nothex"}');
    expect(await readVerification(file)).toBeUndefined();
    await writeFile(verificationRecordPath(file), "not json");
    expect(await readVerification(file)).toBeUndefined();
    expect(await readVerification(join(dir, "missing.kv"))).toBeUndefined();
    await expect(recordVerification(file, "XYZ")).rejects.toThrow(TypeError);
  });
});
