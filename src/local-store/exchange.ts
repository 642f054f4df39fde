import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Fault } from "./faults.js";
import type { RequestKind } from "./request-kind.js";

/** One request being handled: the raw request and response plus what routing and fault lookup found. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** Parsed URL (query in `url.searchParams`). */
  url: URL;
  /** The path exactly as it arrived (not percent-decoded): SigV4 signs it that way. */
  rawPath: string;
  /** Percent-decoded path parameters of the matched route. */
  params: Record<string, string>;
  kind: RequestKind;
  /** The injected fault this request took, if any. */
  fault: Fault | undefined;
  /** Sent back as `x-request-id` and in JSON error bodies. */
  requestId: string;
}

/** The JSON error body of openapi.yaml's `Error` schema. */
export interface ApiErrorBody {
  error: string;
  message: string;
  code?: string;
  details?: unknown;
  expected?: unknown;
  actual?: unknown;
  usage?: unknown;
}

/**
 * Whether the response must be dropped: an injected `reset` on an API operation processes the request and then cuts
 * the connection instead of answering.
 */
const dropsResponse = (ex: Exchange): boolean =>
  ex.fault?.action === "reset" && ex.kind !== "put" && ex.kind !== "get" && ex.kind !== "cdn";

/** Answer with a JSON body (or cut the connection when an injected `reset` says so). */
export function sendJson(ex: Exchange, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  if (dropsResponse(ex)) {
    ex.req.socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  ex.res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "x-request-id": ex.requestId,
  });
  ex.res.end(text);
}

/** Answer with no body (204 and friends). */
export function sendEmpty(ex: Exchange, status: number, headers: OutgoingHttpHeaders = {}): void {
  if (dropsResponse(ex)) {
    ex.req.socket.destroy();
    return;
  }
  ex.res.writeHead(status, { ...headers, "x-request-id": ex.requestId });
  ex.res.end();
}

/**
 * Answer with openapi.yaml's JSON error shape `{ error: <code>, message, request_id, … }`.
 * @example sendApiError(ex, 404, "not_found", "Artifact not found")
 */
export function sendApiError(
  ex: Exchange,
  status: number,
  error: string,
  message: string,
  extra: Omit<ApiErrorBody, "error" | "message"> = {},
  headers: OutgoingHttpHeaders = {},
): void {
  sendJson(ex, status, { error, message, ...extra, request_id: ex.requestId }, headers);
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);

/**
 * Answer with S3's XML error shape, as presigned storage URLs do:
 * `<Error><Code>…</Code><Message>…</Message>…<RequestId>…</RequestId></Error>`.
 * @example sendS3Error(ex, 403, "AccessDenied", "Request has expired")
 */
export function sendS3Error(
  ex: Exchange,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: OutgoingHttpHeaders = {},
): void {
  const fields = { Code: code, Message: message, ...extra, Resource: ex.rawPath, RequestId: ex.requestId };
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
    Object.entries(fields)
      .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
      .join("") +
    "</Error>";
  ex.res.writeHead(status, {
    ...headers,
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(xml),
    "x-amz-request-id": ex.requestId,
    "x-request-id": ex.requestId,
  });
  ex.res.end(xml);
}
