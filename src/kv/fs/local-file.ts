import { open, stat, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import { LocalFileError } from "../../errors/local-file-error.js";

/** Turn a Node system error (ENOENT, EACCES, ENOSPC, …) into a {@link LocalFileError}; other errors pass through. */
export function asLocalFileError(e: unknown, path: string, action: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (typeof err === "object" && err !== null && typeof err.code === "string" && typeof err.syscall === "string") {
    return new LocalFileError(`cannot ${action} ${path}: ${err.message}`, path, { cause: e, code: err.code });
  }
  return e;
}

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
