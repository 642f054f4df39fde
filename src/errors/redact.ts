/** What replaces a secret in redacted text. */
export const REDACTED = "[redacted]";

const KEY_SHAPE = /kv_[0-9a-fA-F]{32,}/g;
const BEARER = /\b(Bearer\s+)(?!\[redacted\])[^\s"'`,;)\]}]+/gi;

/**
 * Scrub credentials from text before it is shown or logged: every given secret (e.g. the configured API key), any
 * string shaped like a KV Cache Store key (`kv_` + 32 or more hex digits) and any `Bearer <token>`.
 * @example redact(`bad key ${key}`, [key]) // → "bad key [redacted]"
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "secrets" would shred ordinary words; real keys and tokens are long.
    if (secret !== undefined && secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  return out.replace(KEY_SHAPE, `kv_${REDACTED}`).replace(BEARER, `$1${REDACTED}`);
}

/**
 * {@link redact} applied to every string inside a JSON-like value (objects, arrays), returning a copy.
 * @example redactDeep({ error: `bad ${key}` }, [key]) // → { error: "bad [redacted]" }
 */
export function redactDeep<T>(value: T, secrets: ReadonlyArray<string | undefined> = [], depth = 0): T {
  if (typeof value === "string") return redact(value, secrets) as T;
  if (depth > 32 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets, depth + 1);
  return out as T;
}
