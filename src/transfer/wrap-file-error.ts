import { LocalFileError, isKvcdnError } from "../errors/index.js";

/** Wrap a `node:fs` failure in a `LocalFileError` naming the file and the system code (kvcdn errors pass through). */
export function wrapFileError(error: unknown, path: string, action: string): unknown {
  if (isKvcdnError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const reason = code === "ENOSPC" ? "no space left on device" : error instanceof Error ? error.message : String(error);
  return new LocalFileError(`Cannot ${action} ${path}: ${reason}`, path, {
    cause: error,
    ...(typeof code === "string" ? { code } : {}),
  });
}
