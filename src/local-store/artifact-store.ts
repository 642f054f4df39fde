import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir, isAtomicTempName, writeFileAtomic } from "../kv/fs/atomic-file.js";
import type { ArtifactRecord } from "./types.js";

/** Artifact ids are UUIDs; anything else never names a file here. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The store's persistence: one JSON document per artifact in `artifacts/{id}.json` (each replaced atomically), the
 * bytes in `blobs/{id}`, uploads in progress in `blobs/.incoming/`. Everything is mirrored in memory; the disk is
 * written first, so memory never shows a state a crash could lose.
 *
 * Crash safety, by construction: a record is only ever replaced whole (temp + fsync + rename + directory fsync); a
 * blob appears under its final name only after its bytes are fsynced, and is never rewritten (PUT URLs are single
 * use); `ready` is written only after the blob under its final name was hashed and matched. {@link ArtifactStore.open}
 * clears what a crash can leave (temp files, partial uploads, blobs of deleted artifacts).
 */
export class ArtifactStore {
  readonly #records = new Map<string, ArtifactRecord>();
  readonly #artifactsDir: string;
  readonly #blobsDir: string;
  readonly #incomingDir: string;
  #seq = 0;

  private constructor(dataDir: string) {
    this.#artifactsDir = join(dataDir, "artifacts");
    this.#blobsDir = join(dataDir, "blobs");
    this.#incomingDir = join(dataDir, "blobs", ".incoming");
  }

  /** Open (and create or recover) the store in `dataDir`. `warn` hears about anything recovery had to fix. */
  static async open(dataDir: string, warn: (message: string) => void): Promise<ArtifactStore> {
    const store = new ArtifactStore(dataDir);
    await mkdir(store.#artifactsDir, { recursive: true });
    await mkdir(store.#incomingDir, { recursive: true });
    await store.#recover(warn);
    return store;
  }

  /** The artifact with this id, if it exists. */
  get(id: string): ArtifactRecord | undefined {
    return this.#records.get(id);
  }

  /** Every artifact, in no particular order (cheap: no copy, no sort). */
  values(): IterableIterator<ArtifactRecord> {
    return this.#records.values();
  }

  /** Every artifact, oldest first. */
  all(): ArtifactRecord[] {
    return [...this.#records.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The next creation sequence number (monotonic across restarts). */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** Durably create or replace a record, then publish it in memory. */
  async save(record: ArtifactRecord): Promise<void> {
    await writeFileAtomic(join(this.#artifactsDir, `${record.id}.json`), `${JSON.stringify(record)}\n`);
    this.#records.set(record.id, record);
  }

  /** Durably delete a record, then its blob (a leftover blob is collected at the next start). */
  async remove(id: string): Promise<void> {
    await unlink(join(this.#artifactsDir, `${id}.json`)).catch(ignoreMissing);
    await fsyncDir(this.#artifactsDir);
    this.#records.delete(id);
    await this.removeBlob(id);
  }

  /** Where the bytes of artifact `id` live once a PUT completed. */
  blobPath(id: string): string {
    return join(this.#blobsDir, id);
  }

  /** A fresh temp path for an incoming upload of artifact `id` (renamed to {@link blobPath} when complete). */
  incomingPath(id: string): string {
    return join(this.#incomingDir, `${id}.${randomBytes(6).toString("hex")}.part`);
  }

  /** The blobs directory (fsynced after a rename into it). */
  get blobsDir(): string {
    return this.#blobsDir;
  }

  /** Delete the blob of artifact `id`, if any. */
  async removeBlob(id: string): Promise<void> {
    await unlink(this.blobPath(id)).catch(ignoreMissing);
  }

  async #recover(warn: (message: string) => void): Promise<void> {
    // Partial uploads: a PUT that was cut (or the process killed) never renamed its temp file.
    await rm(this.#incomingDir, { recursive: true, force: true });
    await mkdir(this.#incomingDir, { recursive: true });

    for (const name of await readdir(this.#artifactsDir)) {
      const file = join(this.#artifactsDir, name);
      if (isAtomicTempName(name)) {
        await unlink(file).catch(ignoreMissing);
        continue;
      }
      if (!name.endsWith(".json")) continue;
      const id = name.slice(0, -".json".length);
      try {
        const record = JSON.parse(await readFile(file, "utf8")) as ArtifactRecord;
        if (record.v !== 1 || record.id !== id || !UUID_PATTERN.test(id)) throw new Error("not an artifact record");
        this.#records.set(id, record);
        this.#seq = Math.max(this.#seq, record.seq);
      } catch (e) {
        warn(`skipping unreadable artifact record ${file}: ${(e as Error).message}`);
      }
    }

    for (const entry of await readdir(this.#blobsDir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      if (!this.#records.has(entry.name)) await unlink(join(this.#blobsDir, entry.name)).catch(ignoreMissing);
    }

    // A ready artifact's blob cannot go missing through this store; if someone removed or truncated it behind our
    // back, say so and fall back to pending rather than serve wrong bytes.
    for (const record of this.#records.values()) {
      if (record.status !== "ready") continue;
      const size = await stat(this.blobPath(record.id)).then((s) => s.size, () => -1);
      if (size !== record.size_bytes) {
        warn(`artifact ${record.id} was ready but its stored object is ${size < 0 ? "missing" : `${size} bytes`}; marking it pending`);
        await this.save({ ...record, status: "pending" });
      }
    }
    await fsyncDir(this.#artifactsDir);
    await fsyncDir(this.#blobsDir);
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
}
