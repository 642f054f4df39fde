import { isKvcdnError } from "../errors/kvcdn-error.js";
import { LocalFileError } from "../errors/local-file-error.js";

/**
 * Turn a Node system error (ENOENT, EACCES, ENOSPC, …) from `action` on `path` into a {@link LocalFileError}
 * (`Cannot <action> <path>: <reason>`, with the system `code`); kvcdn errors and anything else pass through unchanged.
 * @example await open(file, "r").catch((e: unknown) => { throw asLocalFileError(e, file, "open") })
 */
export function asLocalFileError(error: unknown, path: string, action: string): unknown {
  if (isKvcdnError(error)) return error;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== "string") return error;
  const reason = code === "ENOSPC" ? "no space left on device" : error instanceof Error ? error.message : String(error);
  return new LocalFileError(`Cannot ${action} ${path}: ${reason}`, path, { cause: error, code });
}
