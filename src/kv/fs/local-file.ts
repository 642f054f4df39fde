import { open, stat, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import { asLocalFileError } from "../../util/as-local-file-error.js";

/** Run `fn`, reporting system errors as {@link LocalFileError}s about `path`. */
export async function onFile<T>(path: string, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asLocalFileError(e, path, action);
  }
}

/** `open(path, "r")` with a {@link LocalFileError} on failure. */
export function openForRead(path: string): Promise<FileHandle> {
  return onFile(path, "open", () => open(path, "r"));
}

/** `stat(path)` with a {@link LocalFileError} on failure. */
export function statFile(path: string): Promise<Stats> {
  return onFile(path, "stat", () => stat(path));
}
