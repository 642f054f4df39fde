import { readFile, stat } from "node:fs/promises";
import { writeFileAtomic } from "./fs/atomic-file.js";

/**
 * A record that a file's bytes were hashed and found to have `sha256`, tied to the file's identity at that moment
 * (size, modification time in nanoseconds, inode). It lets a reader skip re-hashing a file that was verified by a
 * download or an earlier read, for as long as nothing has rewritten it. Stored as JSON at `<file>.verified.json`.
 */
export interface VerificationRecord {
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
  /** File size in bytes when it was hashed. */
  sizeBytes: number;
  /** `mtime` in nanoseconds when it was hashed (a decimal string: it does not fit a double). */
  mtimeNs: string;
  /** Inode number when it was hashed (a decimal string); a file replaced by rename has another. */
  ino: string;
  /** When it was hashed (ISO 8601). */
  verifiedAt: string;
}

/** Where the verification record of `path` lives. */
export function verificationRecordPath(path: string): string {
  return `${path}.verified.json`;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Record that `path` currently hashes to `sha256` (the caller has just computed it over these bytes). Written
 * atomically; the file's identity is read after the hash, so a write that raced the hash yields a record that
 * never matches rather than one that lies.
 * @example await recordVerification("ctx.kv", digest)
 */
export async function recordVerification(path: string, sha256: string): Promise<VerificationRecord> {
  if (!SHA256_HEX.test(sha256)) throw new TypeError(`recordVerification: not a lowercase hex SHA-256: ${sha256}`);
  const st = await stat(path, { bigint: true });
  const record: VerificationRecord = {
    sha256,
    sizeBytes: Number(st.size),
    mtimeNs: st.mtimeNs.toString(),
    ino: st.ino.toString(),
    verifiedAt: new Date().toISOString(),
  };
  const text = `${JSON.stringify(record, null, 2)}\n`;
  await writeFileAtomic(verificationRecordPath(path), (file) => file.write(Buffer.from(text, "utf8")));
  return record;
}

/**
 * The verification record of `path` if it still describes the file as it is now (same size, mtime and inode), else
 * `undefined`: a missing, malformed or stale record is never trusted.
 * @example if ((await readVerification("ctx.kv"))?.sha256 === sidecar.sha256) skipHash()
 */
export async function readVerification(path: string): Promise<VerificationRecord | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(verificationRecordPath(path), "utf8"));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  let st;
  try {
    st = await stat(path, { bigint: true });
  } catch {
    return undefined;
  }
  return recordMatches(st, parsed) ? parsed : undefined;
}

/** A file's identity as `stat(path, { bigint: true })` reports it: what a {@link VerificationRecord} is tied to. */
export interface FileIdentity {
  /** Size in bytes. */
  size: bigint;
  /** Modification time in nanoseconds. */
  mtimeNs: bigint;
  /** Inode number. */
  ino: bigint;
}

/** Whether two stats describe the same file in the same state (size, mtime and inode). */
export function sameFileIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
}

/** Whether `record` was made for the file in the state `st` describes. */
export function recordMatches(st: FileIdentity, record: VerificationRecord): boolean {
  return Number(st.size) === record.sizeBytes && st.mtimeNs.toString() === record.mtimeNs && st.ino.toString() === record.ino;
}

/** Whether `path` is recorded as verified with exactly `sha256`, and the record still holds. */
export async function isVerified(path: string, sha256: string): Promise<boolean> {
  return (await readVerification(path))?.sha256 === sha256.toLowerCase();
}

function isRecord(v: unknown): v is VerificationRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.sha256 === "string" &&
    SHA256_HEX.test(r.sha256) &&
    typeof r.sizeBytes === "number" &&
    Number.isSafeInteger(r.sizeBytes) &&
    typeof r.mtimeNs === "string" &&
    /^\d+$/.test(r.mtimeNs) &&
    typeof r.ino === "string" &&
    /^\d+$/.test(r.ino) &&
    typeof r.verifiedAt === "string"
  );
}
