import { rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { atomicTempPath, fsyncDir, type AtomicFile } from "./atomic-file.js";
import { asLocalFileError } from "../../util/as-local-file-error.js";

/** An old sidecar moved out of the way while its `.kv` is replaced. */
export interface SidecarAside {
  /** Put it back (the `.kv` was not replaced after all). */
  restore(): Promise<void>;
  /** Delete it (the `.kv` it described is gone). */
  discard(): Promise<void>;
}

/**
 * Step 1 of replacing a `.kv` and its sidecar (see {@link commitKvPair}): rename the existing sidecar, if any, to a
 * hidden temporary name and fsync the directory, so that from now on no reader can pair it with the new `.kv`.
 * @example const aside = await moveSidecarAside("ctx.kv.json"); try { await kv.commit() } catch (e) { await aside.restore(); throw e }
 */
export async function moveSidecarAside(sidecarPath: string): Promise<SidecarAside> {
  const dir = dirname(sidecarPath);
  const aside = atomicTempPath(sidecarPath);
  const moved = await rename(sidecarPath, aside).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return false;
      throw asLocalFileError(e, sidecarPath, "move aside the old sidecar");
    },
  );
  if (moved) await fsyncDir(dir);
  let settled = !moved;
  return {
    async restore() {
      if (settled) return;
      settled = true;
      await rename(aside, sidecarPath).catch(() => undefined);
      await fsyncDir(dir);
    },
    async discard() {
      if (settled) return;
      settled = true;
      await unlink(aside).catch(() => undefined);
    },
  };
}

/**
 * Put a finished `.kv` temp file and its finished sidecar temp file (or none: `sidecar: undefined` removes a stale
 * one) in place as a pair.
 *
 * Two renames cannot be one atomic step, so the order is chosen so that no instant shows a sidecar beside a `.kv` it
 * does not describe (a `cliCompatible` sidecar has no `sha256`, and a same-shape cache has the same `nbytes`, so a
 * reader could not always tell):
 *
 * 1. the old sidecar (if any) is renamed aside to a hidden temp name, directory fsynced ({@link moveSidecarAside});
 * 2. the `.kv` temp is renamed over the `.kv`, directory fsynced;
 * 3. the sidecar temp is renamed over the sidecar, directory fsynced; the old sidecar is deleted.
 *
 * A crash after step 1 or 2 leaves a `.kv` (old, then new) with no sidecar, which readers take as a header-only
 * cache; after step 3 the new pair. The old sidecar, if stranded by a crash, stays under a hidden `.tmp` name that
 * no reader pairs with anything. A failure that is not a crash is undone where it can be: if step 2 fails the old
 * sidecar is put back, so the old pair is untouched. Readers also refuse a sidecar whose `nbytes` (or `sha256`)
 * disagrees with the file (`sidecar_mismatch`, `checksum_mismatch`), which covers pairs mixed by other tools.
 */
export async function commitKvPair(params: { kv: AtomicFile; sidecar: AtomicFile | undefined; sidecarPath: string }): Promise<void> {
  const aside = await moveSidecarAside(params.sidecarPath);
  try {
    await params.kv.commit();
  } catch (e) {
    await aside.restore();
    throw e;
  }
  try {
    await params.sidecar?.commit();
  } finally {
    // Whatever happened to the new sidecar, the old one describes a file that is gone.
    await aside.discard();
  }
}
