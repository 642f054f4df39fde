import { createHash, createHmac } from "node:crypto";

// An independent SigV4 query presigner written from the AWS specification ("Authenticating Requests: Using Query
// Parameters (AWS Signature Version 4)"), used to check the store's @smithy-based signer and verifier from outside.

const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Presign `method url` with the given headers signed (host always), S3-style UNSIGNED-PAYLOAD. */
export function referencePresign(p: {
  method: string;
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  amzDate: string;
  expires: number;
  headers?: Record<string, string>;
}): string {
  const url = new URL(p.url);
  const day = p.amzDate.slice(0, 8);
  const scope = `${day}/${p.region}/s3/aws4_request`;
  const headers: Record<string, string> = { host: url.host, ...p.headers };
  const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
  const query: Record<string, string> = {
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": `${p.accessKeyId}/${scope}`,
    "X-Amz-Date": p.amzDate,
    "X-Amz-Expires": String(p.expires),
    "X-Amz-SignedHeaders": names.join(";"),
  };
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${rfc3986(k)}=${rfc3986(query[k]!)}`)
    .join("&");
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const canonicalRequest = [
    p.method,
    url.pathname,
    canonicalQuery,
    names.map((n) => `${n}:${lower[n]}\n`).join(""),
    names.join(";"),
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const stringToSign = ["AWS4-HMAC-SHA256", p.amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  let key = hmac(`AWS4${p.secretAccessKey}`, day);
  for (const part of [p.region, "s3", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(stringToSign).digest("hex");
  return `${url.origin}${url.pathname}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}
