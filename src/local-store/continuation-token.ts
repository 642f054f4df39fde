/**
 * Opaque continuation tokens: base64url JSON of a position, tagged with what it pages over so a token from one
 * listing is refused by another.
 * @example encodeToken("artifacts", 42) // "eyJ0IjoiYXJ0aWZhY3RzIiwicCI6NDJ9"
 */
export function encodeToken(kind: string, position: number): string {
  return Buffer.from(JSON.stringify({ t: kind, p: position })).toString("base64url");
}

/** The position in a token made by {@link encodeToken} for `kind`, or undefined when it is not one. */
export function decodeToken(kind: string, token: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { t?: unknown; p?: unknown };
    return parsed.t === kind && typeof parsed.p === "number" && Number.isSafeInteger(parsed.p) && parsed.p >= 0 ? parsed.p : undefined;
  } catch {
    return undefined;
  }
}
