/**
 * Where kvcdn writes diagnostics. Messages never contain the API key. Pass your own to route them elsewhere, or
 * {@link silentLogger} to drop them.
 * @example createKvcdnClient({ logger: { warn: (m) => log.warn(m), debug: (m) => log.debug(m) } })
 */
export interface KvcdnLogger {
  /** Something odd but not fatal (an unusual key shape, a retry). */
  warn?: (message: string) => void;
  /** Request-level detail (method, URL, status, request id, retries); only wanted when debugging. */
  debug?: (message: string) => void;
}

/** Warnings to stderr (prefixed `kvcdn:`), no debug output. The default. */
export const defaultLogger: KvcdnLogger = {
  warn: (message) => process.stderr.write(`kvcdn: warning: ${message}\n`),
};

/** Drops everything. */
export const silentLogger: KvcdnLogger = {};
