// readPieces (src/kv/fs/read-exactly.ts) keeps two reads in flight: the bytes must still land where they belong and
// reach the hash in piece order, and a short file must fail with the bytes it lacks, with no read left running.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KvFormatError } from "../../src/errors/kv-format-error.js";
import { HASHED_READ_CHUNK_BYTES, READS_IN_FLIGHT, readPieces } from "../../src/kv/fs/read-exactly.js";

describe("readPieces", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kvcdn-read-pieces-"));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  // Several chunk-sized reads, so more than READS_IN_FLIGHT are queued.
  const size = 3 * HASHED_READ_CHUNK_BYTES + 12345;
  const bytes = randomBytes(size);
  const file = join(dir, "f.bin");
  await writeFile(file, bytes);

  it("fills scattered pieces in order and hashes them in piece order", async () => {
    expect(size / HASHED_READ_CHUNK_BYTES).toBeGreaterThan(READS_IN_FLIGHT);
    // Pieces out of file order, one of them spanning several reads.
    const cuts = [[size - 1000, 1000], [0, 2 * HASHED_READ_CHUNK_BYTES + 7], [2 * HASHED_READ_CHUNK_BYTES + 7, size - 1000 - (2 * HASHED_READ_CHUNK_BYTES + 7)]] as const;
    const pieces = cuts.map(([position, length]) => ({ position, target: new Uint8Array(length) }));
    const hash = createHash("sha256");
    const handle = await open(file, "r");
    try {
      await readPieces(handle, pieces, hash);
    } finally {
      await handle.close();
    }
    pieces.forEach(({ position, target }) => expect(Buffer.from(target).equals(bytes.subarray(position, position + target.byteLength))).toBe(true));
    const expected = createHash("sha256");
    for (const [position, length] of cuts) expected.update(bytes.subarray(position, position + length));
    expect(hash.digest("hex")).toBe(expected.digest("hex"));
  });

  it("fails a short file with truncated_file and the bytes still missing, after every read has ended", async () => {
    const handle = await open(file, "r");
    const pieces = [{ position: 0, target: new Uint8Array(size + 5000) }];
    let failure: unknown;
    try {
      await readPieces(handle, pieces, undefined);
    } catch (e) {
      failure = e;
    } finally {
      // Closing right away must not break a read still in the pool (it would surface as an EBADF rejection).
      await handle.close();
    }
    expect(failure).toBeInstanceOf(KvFormatError);
    expect((failure as KvFormatError).code).toBe("truncated_file");
    expect((failure as Error).message).toBe(`file ended at byte ${size}, expected 5000 more bytes`);
  });
});
