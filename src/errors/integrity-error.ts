import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** Options of {@link IntegrityError}. */
export interface IntegrityErrorOptions extends KvcdnErrorOptions {
  /** The SHA-256 (lowercase hex) that was expected. */
  expected: string;
  /** The SHA-256 (lowercase hex) of the bytes actually seen. */
  actual: string;
  /** The file concerned, when there is one. */
  path?: string | undefined;
}

/**
 * Bytes do not hash to the SHA-256 they should (a corrupted or truncated transfer). A download that fails this way
 * leaves its destination untouched.
 * @example catch (e) { if (isIntegrityError(e)) console.error(`expected ${e.expected}, got ${e.actual}`) }
 */
export class IntegrityError extends KvcdnError {
  override name = "IntegrityError";
  /** The expected SHA-256, lowercase hex. */
  readonly expected: string;
  /** The SHA-256 actually computed, lowercase hex. */
  readonly actual: string;
  /** The file concerned, if any. */
  readonly path: string | undefined;

  constructor(message: string, options: IntegrityErrorOptions) {
    super(message, { code: "checksum_mismatch", ...options });
    this.expected = options.expected;
    this.actual = options.actual;
    this.path = options.path;
  }
}

/** True for an {@link IntegrityError}, across package copies and realms. */
export const isIntegrityError = errorGuard<IntegrityError>("IntegrityError");
