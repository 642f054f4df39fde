/** How long one transfer request may take: a base plus the time its bytes need at a minimum throughput. */
export interface TimeoutOptions {
  /** Fixed allowance per request (connection set-up, the server's work), in ms. @default 60_000 */
  baseMs?: number;
  /** Slowest acceptable throughput, in bytes per second; the allowance grows by `bytes / minBytesPerSecond`. @default 262_144 (256 KiB/s) */
  minBytesPerSecond?: number;
}

/**
 * The timeout of one request moving `bytes` bytes: `baseMs + bytes / minBytesPerSecond` seconds, so a 4 GiB PUT gets
 * hours while a 1 KiB one gets about a minute.
 * @example transferTimeoutMs({ baseMs: 30_000, minBytesPerSecond: 1 << 20 }, 1 << 30) // 1_054_000
 */
export function transferTimeoutMs(options: TimeoutOptions | undefined, bytes: number): number {
  const base = Math.max(0, options?.baseMs ?? 60_000);
  const rate = Math.max(1, options?.minBytesPerSecond ?? 256 * 1024);
  return base + (Math.max(0, bytes) / rate) * 1000;
}
