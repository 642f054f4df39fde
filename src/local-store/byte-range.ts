/** An inclusive byte range of an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Interpret a `Range` header against an object of `size` bytes (RFC 9110 §14): `bytes=a-b`, `bytes=a-` and
 * suffix `bytes=-n`. Returns undefined to serve the whole object (no header, a malformed one, or several ranges,
 * which S3 also answers with the whole object) and `"unsatisfiable"` for a 416.
 * @example parseRange("bytes=-10", 100) // { start: 90, end: 99 }
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === "" ? Number.POSITIVE_INFINITY : Number(m[2]);
  if (last < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(last, size - 1) };
}
