import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Make a directory entry change (create, rename, unlink) durable. Linux needs the directory itself fsynced;
 * platforms that cannot open a directory (Windows) make renames durable on their own, so errors are ignored.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Not supported here (EISDIR/EPERM on Windows): nothing more we can do.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Replace `file` with `data` so that a crash at any instant leaves either the old or the new content, never a mix:
 * write a sibling temp file, fsync it, rename it over `file`, fsync the directory.
 * @example await writeFileAtomic("/data/artifacts/1.json", JSON.stringify(record))
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(file));
}

/** True for names {@link writeFileAtomic} uses for its temp files (left behind only by a crash). */
export const isAtomicTempName = (name: string): boolean => name.startsWith(".") && name.endsWith(".tmp");
