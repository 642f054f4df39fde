/** Headers the HTTP stack sets itself or that carry credentials: never taken from `upload_headers`. */
const NEVER_FROM_SERVICE = new Set(["authorization", "proxy-authorization", "cookie", "host", "content-length", "transfer-encoding", "connection"]);

/**
 * The headers for a presigned request: every `upload_headers` entry the service returned, except credentials, the
 * ones the HTTP stack owns, and any `x-amz-*` / `Content-MD5` header that the URL did not sign (S3 answers an unsigned
 * one with 403, and we add none of our own).
 * @example presignedHeaders(url, { "Content-Type": "application/octet-stream" })
 */
export function presignedHeaders(url: string, uploadHeaders: Record<string, string> | undefined): Headers {
  const signed = signedHeaderNames(url);
  const headers = new Headers();
  for (const [name, value] of Object.entries(uploadHeaders ?? {})) {
    const lower = name.toLowerCase();
    if (NEVER_FROM_SERVICE.has(lower)) continue;
    if ((lower.startsWith("x-amz-") || lower === "content-md5") && !signed.has(lower)) continue;
    if (typeof value === "string") headers.set(name, value);
  }
  return headers;
}

/** The lowercase header names listed in a SigV4 URL's `X-Amz-SignedHeaders`. */
export function signedHeaderNames(url: string): Set<string> {
  try {
    const list = new URL(url).searchParams.get("X-Amz-SignedHeaders") ?? "";
    return new Set(list.split(";").map((h) => h.trim().toLowerCase()).filter(Boolean));
  } catch {
    return new Set();
  }
}
