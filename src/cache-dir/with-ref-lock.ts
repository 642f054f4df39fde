import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { open, readFile, rename, stat, unlink, utimes } from "node:fs/promises";
import { AbortError } from "../errors/abort-error.js";
import { asLocalFileError } from "../util/as-local-file-error.js";
import { sleep } from "../util/sleep.js";
import { isProcessAlive } from "./is-process-alive.js";

/** A lock whose holder stopped refreshing it for this long is taken over (the holder refreshes it every quarter). */
export const LOCK_STALE_MS = 60_000;
/** How often a waiting process looks at the lock again. */
const POLL_MS = 25;

interface LockOwner {
  pid: number;
  host: string;
  token: string;
}

/**
 * Run `fn` while holding the lock file `path` (created with O_EXCL). Another process holding it is waited for; a lock
 * left by a dead process on this host, or not refreshed for {@link LOCK_STALE_MS}, is broken. The lock is released
 * (only if it is still ours) however `fn` ends.
 */
export async function withRefLock<T>(path: string, fn: () => Promise<T>, options: { signal?: AbortSignal | undefined; staleMs?: number } = {}): Promise<T> {
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString("hex") };
  for (;;) {
    if (options.signal?.aborted) throw new AbortError("Aborted while waiting for a cache lock", { cause: options.signal.reason });
    try {
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw asLocalFileError(e, path, "create the lock");
    }
    if (await isStale(path, staleMs)) {
      // Rename first: of several processes breaking the same stale lock, only one rename succeeds.
      const aside = `${path}.${owner.token}.stale`;
      if (await rename(path, aside).then(() => true, () => false)) await unlink(aside).catch(() => undefined);
      continue;
    }
    await sleep(POLL_MS);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => undefined);
  }, Math.max(10, staleMs / 4));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    const current = await readOwner(path);
    if (current?.token === owner.token) await unlink(path).catch(() => undefined);
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const v = JSON.parse(await readFile(path, "utf8")) as Partial<LockOwner>;
    return typeof v.pid === "number" && typeof v.host === "string" && typeof v.token === "string" ? (v as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(path)).mtimeMs;
  } catch {
    return false; // gone already: the next open will tell
  }
  const age = Date.now() - mtimeMs;
  if (age > staleMs) return true;
  const owner = await readOwner(path);
  // Unreadable: a holder between open and write, or one that died there; only age decides (a second is plenty).
  if (owner === undefined) return age > 1000;
  return owner.host === hostname() && !isProcessAlive(owner.pid);
}

