import { parseS3Error } from "./parse-s3-error.js";

/** What {@link describeErrorBody} could read from an error response body. */
export interface ErrorBodyInfo {
  /** The body as a JSON value when it parsed, else its text (undefined when empty). */
  body: unknown;
  /** A human sentence from the service, when it sent one. */
  message: string | undefined;
  /** A machine-readable code (`quota_exceeded`, `FST_ERR_CTP_EMPTY_JSON_BODY`, `AccessDenied`), when one is present. */
  code: string | undefined;
  /** The service's `details` (zod issues and the like), when present. */
  details: unknown;
  /** A request id written in the body (`request_id`, `requestId`, S3 `<RequestId>`). */
  requestId: string | undefined;
  /** How the body was shaped. */
  kind: "empty" | "json" | "html" | "xml" | "truncated-json" | "text";
}

const MAX_TEXT = 200;

/** A short code such as `quota_exceeded`, `not_found`, `FST_ERR_VALIDATION`, `invalid-request` (not a sentence). */
const looksLikeCode = (s: string): boolean => /^[a-z0-9]+(?:[_.-][a-z0-9]+)*$/.test(s) || /^[A-Z0-9]+(?:_[A-Z0-9]+)+$/.test(s);

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_TEXT ? `${oneLine.slice(0, MAX_TEXT)}…` : oneLine;
}

function summarizeDetails(details: unknown): string | undefined {
  if (!Array.isArray(details) || details.length === 0) return undefined;
  const parts = details.slice(0, 3).map((d) => {
    if (typeof d === "string") return d;
    const o = (typeof d === "object" && d !== null ? d : {}) as Record<string, unknown>;
    const path = Array.isArray(o["path"]) ? o["path"].join(".") : (str(o["path"]) ?? str(o["field"]) ?? str(o["instancePath"]));
    const msg = str(o["message"]) ?? JSON.stringify(d);
    return path ? `${path}: ${msg}` : msg;
  });
  return clip(parts.join("; ") + (details.length > 3 ? `; … (${details.length - 3} more)` : ""));
}

function describeJson(json: unknown): Omit<ErrorBodyInfo, "body" | "kind"> {
  if (typeof json === "string") return { message: str(json), code: undefined, details: undefined, requestId: undefined };
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { message: undefined, code: undefined, details: Array.isArray(json) ? json : undefined, requestId: undefined };
  }
  const o = json as Record<string, unknown>;
  const nested = typeof o["error"] === "object" && o["error"] !== null ? (o["error"] as Record<string, unknown>) : undefined;
  const errorText = str(o["error"]);
  let code = str(o["code"]) ?? str(nested?.["code"]) ?? str(nested?.["type"]);
  let message = str(o["message"]) ?? str(nested?.["message"]) ?? str(o["detail"]) ?? str(o["title"]);
  if (errorText !== undefined) {
    if (looksLikeCode(errorText)) code ??= errorText;
    // `error` is either a code (`quota_exceeded`), a title (`Bad Request`) or the whole sentence (`Artifact not found`).
    else if (message === undefined) message = errorText;
  }
  const details = o["details"] ?? nested?.["details"] ?? o["issues"];
  const summary = summarizeDetails(details);
  if (summary !== undefined) message = message === undefined ? summary : `${message} (${summary})`;
  if (message === undefined && (o["expected"] !== undefined || o["actual"] !== undefined)) {
    message = `expected ${JSON.stringify(o["expected"])}, got ${JSON.stringify(o["actual"])}`;
  } else if (message !== undefined && o["expected"] !== undefined && o["actual"] !== undefined) {
    message = `${message}: expected ${JSON.stringify(o["expected"])}, got ${JSON.stringify(o["actual"])}`;
  }
  const requestId = str(o["request_id"]) ?? str(o["requestId"]) ?? str(nested?.["request_id"]);
  return { message: message === undefined ? undefined : clip(message), code, details, requestId };
}

/**
 * Read an error response body defensively (docs/service-contract.md#error-bodies): JSON with `error` as a string or an
 * object, `message`, `code`, `details`; framework errors; S3 XML; an HTML page from a proxy; truncated JSON; plain text
 * or nothing at all. Never throws.
 * @example describeErrorBody('{"error":"quota_exceeded","message":"Free plan allows 20 artifacts"}')
 * // → { code: "quota_exceeded", message: "Free plan allows 20 artifacts", kind: "json", … }
 */
export function describeErrorBody(raw: unknown, contentType = ""): ErrorBodyInfo {
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) {
    return { body: undefined, message: undefined, code: undefined, details: undefined, requestId: undefined, kind: "empty" };
  }
  if (typeof raw !== "string") return { body: raw, kind: "json", ...describeJson(raw) };
  const text = raw.trim();
  if (text.startsWith("{") || text.startsWith("[") || text.startsWith('"') || /json/i.test(contentType)) {
    try {
      const json: unknown = JSON.parse(text);
      return { body: json, kind: "json", ...describeJson(json) };
    } catch {
      return {
        body: raw,
        kind: "truncated-json",
        message: `the service sent an unreadable JSON body: ${clip(text)}`,
        code: undefined,
        details: undefined,
        requestId: undefined,
      };
    }
  }
  if (/^<(!doctype\s+html|html|head|body)\b/i.test(text) || /text\/html/i.test(contentType)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
    const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(text)?.[1];
    const label = str((title ?? heading ?? "").replace(/<[^>]+>/g, ""));
    return {
      body: raw,
      kind: "html",
      message: `the service answered with an HTML page${label ? ` ("${clip(label)}")` : ""} instead of JSON (a proxy or gateway error?)`,
      code: undefined,
      details: undefined,
      requestId: undefined,
    };
  }
  if (text.startsWith("<")) {
    const s3 = parseS3Error(text);
    if (s3 !== undefined) {
      return {
        body: raw,
        kind: "xml",
        message: clip([s3.code, s3.message].filter(Boolean).join(": ")),
        code: s3.code,
        details: undefined,
        requestId: s3.requestId,
      };
    }
  }
  return { body: raw, kind: "text", message: clip(text), code: undefined, details: undefined, requestId: undefined };
}
