import { KvcdnError, type KvcdnErrorOptions } from "../errors/kvcdn-error.js";
import { errorGuard } from "../errors/error-guard.js";

/**
 * A local store that cannot start or be driven as asked: bad options, an unusable data directory, fault injection
 * requested where it is not allowed.
 * @example try { await startLocalStore({ host: "0.0.0.0", faults: true }) } catch (e) { if (e instanceof LocalStoreError) … }
 */
export class LocalStoreError extends KvcdnError {
  override name = "LocalStoreError";

  constructor(message: string, options: KvcdnErrorOptions = {}) {
    super(message, options);
  }
}

/** True for a {@link LocalStoreError} thrown by kvcdn, across package copies and realms. */
export const isLocalStoreError = errorGuard<LocalStoreError>("LocalStoreError");
