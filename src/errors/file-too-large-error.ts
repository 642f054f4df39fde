import { KvcdnError } from "./kvcdn-error.js";
import { errorGuard } from "./error-guard.js";

/**
 * A file is larger than one presigned PUT may carry and sharding is off (or a single layer is itself too large to
 * shard). Turn `sharding` on, raise `maxPutBytes` if the store allows it, or quantize the cache.
 * @example catch (e) { if (e instanceof FileTooLargeError) console.error(e.sizeBytes, ">", e.maxPutBytes) }
 */
export class FileTooLargeError extends KvcdnError {
  override name = "FileTooLargeError";

  constructor(
    message: string,
    /** Size of what had to be sent, in bytes. */
    readonly sizeBytes: number,
    /** The single-PUT limit in force, in bytes. */
    readonly maxPutBytes: number,
  ) {
    super(message, { code: "file_too_large" });
  }
}

/** True for a {@link FileTooLargeError} thrown by kvcdn, across package copies and realms. */
export const isFileTooLargeError = errorGuard<FileTooLargeError>("FileTooLargeError");
