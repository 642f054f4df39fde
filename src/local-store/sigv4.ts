import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

/** Access key id in the `X-Amz-Credential` of the store's presigned URLs (the secret never leaves the server). */
export const STORAGE_ACCESS_KEY_ID = "KVCDNLOCALSTORE";
/** Region in the credential scope. */
export const STORAGE_REGION = "us-east-1";
/** SigV4 caps presigned URLs at one week. */
const MAX_EXPIRES_SECONDS = 604_800;

/** The query parameters SigV4 query authentication adds; presign() recomputes all of them. */
const AUTH_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders"] as const;
const SIGNATURE_PARAM = "X-Amz-Signature";
/** Like S3 presigned URLs, the payload is not part of the signature (`UNSIGNED-PAYLOAD`). */
const UNSIGNED_PAYLOAD_HEADERS = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
const KEEP_PAYLOAD_HEADER_UNSIGNED = new Set(["x-amz-content-sha256"]);

/** A verified presigned request, or the S3 error it gets. */
export type PresignCheck =
  | { ok: true }
  | { ok: false; status: 400 | 403; code: string; message: string; extra?: Record<string, string> };

/** RFC 3986 escaping, as SigV4 canonicalizes query strings. */
const escapeUri = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `20250102T030405Z` → epoch ms, or NaN. */
function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Issues and verifies S3 SigV4 query-presigned URLs for the store's `/storage/{key}` route, with
 * `@smithy/signature-v4` on both sides (docs/toolchain.md#sigv4-verifier): the verifier rebuilds the request from
 * what arrived (method, raw path, query, the headers named in `X-Amz-SignedHeaders`) and recomputes the signature.
 */
export class Presigner {
  readonly #signer: SignatureV4;

  constructor(secretAccessKey: string) {
    this.#signer = new SignatureV4({
      credentials: { accessKeyId: STORAGE_ACCESS_KEY_ID, secretAccessKey },
      region: STORAGE_REGION,
      service: "s3",
      sha256: Hash.bind(null, "sha256"),
      uriEscapePath: false,
    });
  }

  /**
   * A presigned URL for `method` on `origin + path`; `headers` (besides `host`) are signed and must be sent as given.
   * @example await presigner.presign({ method: "PUT", origin: "http://127.0.0.1:8787", path: "/storage/id", headers: { "content-length": "42" }, signingDate, expiresInSeconds: 900 })
   */
  async presign(params: {
    method: "GET" | "PUT";
    origin: string;
    path: string;
    headers?: Record<string, string>;
    signingDate: Date;
    expiresInSeconds: number;
  }): Promise<string> {
    const origin = new URL(params.origin);
    const signed = await this.#sign({
      method: params.method,
      host: origin.host,
      path: params.path,
      query: {},
      headers: params.headers ?? {},
      signingDate: params.signingDate,
      expiresInSeconds: Math.min(MAX_EXPIRES_SECONDS, Math.max(1, Math.ceil(params.expiresInSeconds))),
    });
    const query = Object.keys(signed)
      .sort()
      .map((k) => `${escapeUri(k)}=${escapeUri(signed[k]!)}`)
      .join("&");
    return `${origin.origin}${params.path}?${query}`;
  }

  /**
   * Check a request that arrived at a presigned URL: well-formed parameters, not expired at `now`, and a signature
   * that matches the method, raw path, query and signed headers. Authorization-header and size rules are the caller's.
   */
  async verify(params: {
    method: string;
    rawPath: string;
    query: URLSearchParams;
    headers: IncomingHttpHeaders;
    now: number;
    /** Checks that come after expiry but before the signature (the store's size rule); an error stops there. */
    beforeSignature?: () => PresignCheck | undefined;
  }): Promise<PresignCheck> {
    const { query } = params;
    if (!query.has(SIGNATURE_PARAM) && !query.has("X-Amz-Algorithm")) {
      return { ok: false, status: 403, code: "AccessDenied", message: "Access Denied" };
    }
    const value = (name: string): string | undefined => {
      const all = query.getAll(name);
      return all.length === 1 ? all[0] : undefined;
    };
    const malformed = (message: string): PresignCheck => ({ ok: false, status: 400, code: "AuthorizationQueryParametersError", message });
    const algorithm = value("X-Amz-Algorithm");
    const credential = value("X-Amz-Credential");
    const amzDate = value("X-Amz-Date");
    const expires = value("X-Amz-Expires");
    const signedHeaders = value("X-Amz-SignedHeaders");
    const signature = value(SIGNATURE_PARAM);
    if (algorithm === undefined || credential === undefined || amzDate === undefined || expires === undefined || signedHeaders === undefined || signature === undefined) {
      return malformed("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
    }
    if (algorithm !== "AWS4-HMAC-SHA256") return malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    const scope = credential.split("/");
    if (scope.length !== 5 || scope[4] !== "aws4_request") return malformed("Error parsing the X-Amz-Credential parameter");
    if (scope[0] !== STORAGE_ACCESS_KEY_ID) {
      return { ok: false, status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
    }
    const signedAt = parseAmzDate(amzDate);
    if (Number.isNaN(signedAt)) return malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SECONDS) {
      return malformed("X-Amz-Expires must be between 1 and 604800 seconds");
    }
    const expiresAt = signedAt + Number(expires) * 1000;
    if (params.now > expiresAt) {
      return {
        ok: false,
        status: 403,
        code: "AccessDenied",
        message: "Request has expired",
        extra: { "X-Amz-Expires": expires, Expires: new Date(expiresAt).toISOString(), ServerTime: new Date(params.now).toISOString() },
      };
    }
    const early = params.beforeSignature?.();
    if (early !== undefined && !early.ok) return early;
    const mismatch: PresignCheck = {
      ok: false,
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    };
    const names = signedHeaders.split(";");
    if (!names.includes("host")) return mismatch;
    const headers: Record<string, string> = {};
    for (const name of names) {
      const v = params.headers[name];
      if (v === undefined || name === "host") continue;
      headers[name] = Array.isArray(v) ? v.join(",") : v;
    }
    const host = params.headers.host;
    if (host === undefined) return mismatch;
    const rest: Record<string, string> = {};
    for (const [k, v] of query) {
      if (k === SIGNATURE_PARAM || (AUTH_PARAMS as readonly string[]).includes(k)) continue;
      rest[k] = v;
    }
    const expected = await this.#sign({
      method: params.method,
      host,
      path: params.rawPath,
      query: rest,
      headers,
      signingDate: new Date(signedAt),
      expiresInSeconds: Number(expires),
    });
    // presign() recomputes the auth parameters from its inputs; each must equal what the URL carries, or a
    // tampered credential scope, header list or date would pass unnoticed.
    for (const name of AUTH_PARAMS) if (expected[name] !== value(name)) return mismatch;
    return sameText(expected[SIGNATURE_PARAM] ?? "", signature) ? { ok: true } : mismatch;
  }

  async #sign(input: {
    method: string;
    host: string;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    signingDate: Date;
    expiresInSeconds: number;
  }): Promise<Record<string, string>> {
    const [hostname, port] = splitHost(input.host);
    const request = await this.#signer.presign(
      {
        method: input.method,
        protocol: "http:",
        hostname,
        ...(port === undefined ? {} : { port }),
        path: input.path,
        query: { ...input.query },
        headers: { ...input.headers, host: input.host, ...UNSIGNED_PAYLOAD_HEADERS },
      },
      {
        signingDate: input.signingDate,
        expiresIn: input.expiresInSeconds,
        unsignableHeaders: KEEP_PAYLOAD_HEADER_UNSIGNED,
        unhoistableHeaders: KEEP_PAYLOAD_HEADER_UNSIGNED,
      },
    );
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.query ?? {})) if (typeof v === "string") out[k] = v;
    return out;
  }
}

/** `127.0.0.1:8787` → ["127.0.0.1", 8787]; `[::1]:80` → ["[::1]", 80]. */
function splitHost(host: string): [string, number | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(host);
  const name = m?.[1] ?? host;
  return [name, m?.[2] === undefined ? undefined : Number(m[2])];
}
