import { KvcdnError } from "./kvcdn-error.js";
import { errorGuard } from "./error-guard.js";

/**
 * A local file could not be read or written during a transfer (missing source, permission denied, disk full, …).
 * `code` is the system error code (`ENOENT`, `EACCES`, `ENOSPC`, …) and `path` the file concerned. A download that
 * fails this way leaves its destination untouched.
 * @example catch (e) { if (e instanceof LocalFileError && e.code === "ENOSPC") console.error("disk full:", e.path) }
 */
export class LocalFileError extends KvcdnError {
  override name = "LocalFileError";

  constructor(
    message: string,
    /** The file concerned. */
    readonly path: string,
    options: { cause?: unknown; code?: string } = {},
  ) {
    super(message, options);
  }
}

/** True for a {@link LocalFileError} thrown by kvcdn, across package copies and realms. */
export const isLocalFileError = errorGuard<LocalFileError>("LocalFileError");
