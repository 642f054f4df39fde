/** Options every kvcdn error accepts. */
export interface KvcdnErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** A short machine-readable code (`quota_exceeded`, `SignatureDoesNotMatch`, `bad_header`, …). */
  code?: string;
}

/**
 * Root of every error kvcdn throws. Catch this to handle any SDK failure; check `name` or the subclass for the kind.
 * @example try { await client.get(id) } catch (e) { if (isKvcdnError(e)) console.error(e.name, e.message) }
 */
export class KvcdnError extends Error {
  override name = "KvcdnError";
  /** A short machine-readable code, when one is known. */
  readonly code: string | undefined;

  constructor(message: string, options: KvcdnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }

  /** Always true; lets {@link isKvcdnError} recognise errors from another copy of the package or another realm. */
  get isKvcdnError(): true {
    return true;
  }
}

/** True for any error thrown by kvcdn, across package copies and realms (it does not rely on `instanceof`). */
export const isKvcdnError = (e: unknown): e is KvcdnError =>
  typeof e === "object" && e !== null && (e as { isKvcdnError?: unknown }).isKvcdnError === true;
