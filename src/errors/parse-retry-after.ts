/**
 * Parse an HTTP `Retry-After` header into milliseconds: delay-seconds (`"120"`, leniently `"0.5"`) or an HTTP-date
 * (`"Wed, 21 Oct 2026 07:28:00 GMT"`, measured from `now`). A date in the past gives 0; anything unreadable undefined.
 * @example parseRetryAfter("2") // → 2000
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only accept something that looks like a date: Date.parse("5 apples") may still produce a value.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
