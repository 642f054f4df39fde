/**
 * How long one storage request (a presigned PUT, a storage or CDN GET) may take: a base plus the time its bytes need
 * at a minimum throughput, so a 4 GiB PUT gets hours while a 1 KiB one gets about a minute. The transfer's one extra
 * next to the per-attempt `timeout` of API calls.
 * @example await client.upload("big.kv", { transferTimeout: { minBytesPerSecond: 1 << 20 } })
 */
export interface TransferTimeoutOptions {
  /** Fixed allowance per request (connection set-up, the server's work), in ms. @default 60_000 */
  baseMs?: number | undefined;
  /** Slowest acceptable throughput, in bytes per second; the allowance grows by `bytes / minBytesPerSecond` s. @default 262_144 (256 KiB/s) */
  minBytesPerSecond?: number | undefined;
}

/**
 * The timeout in ms of one storage request moving `bytes` bytes: `baseMs + bytes / minBytesPerSecond` seconds, or
 * `false` (none) when the option is `false`.
 * @example transferTimeoutMs({ baseMs: 30_000, minBytesPerSecond: 1 << 20 }, 1 << 30) // 1_054_000
 */
export function transferTimeoutMs(options: TransferTimeoutOptions | false | undefined, bytes: number): number | false {
  if (options === false) return false;
  const base = Math.max(0, options?.baseMs ?? 60_000);
  const rate = Math.max(1, options?.minBytesPerSecond ?? 256 * 1024);
  return base + (Math.max(0, bytes) / rate) * 1000;
}
