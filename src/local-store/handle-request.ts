import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sleep } from "../util/sleep.js";
import { sendApiError, sendS3Error, type Exchange } from "./exchange.js";
import type { FaultTable } from "./faults.js";
import type { RequestLog } from "./request-log.js";
import { matchRoute } from "./router.js";
import type { StoreContext } from "./store-context.js";

/** Error codes an injected `status` fault answers with. */
const S3_CODES: Record<number, string> = { 429: "TooManyRequests", 500: "InternalError", 503: "SlowDown" };
const API_CODES: Record<number, string> = { 429: "rate_limited", 500: "internal_error", 502: "bad_gateway", 503: "service_unavailable" };

const isStorage = (ex: Exchange): boolean => ex.kind === "put" || ex.kind === "get";

/**
 * Handle one HTTP request: route it, log it, apply an injected fault if one is pending for its kind, run the
 * handler, and turn an unexpected failure into a 500 (never a crash).
 */
export async function handleRequest(
  ctx: StoreContext,
  deps: { faults: FaultTable; requests: RequestLog; closing: AbortSignal },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = Date.now();
  const rawTarget = req.url ?? "/";
  const rawPath = rawTarget.split("?")[0] ?? "/";
  const method = req.method ?? "GET";
  const match = matchRoute(method, rawPath);
  const kind = match?.kind ?? "unknown";
  const entry = deps.requests.add({ at: new Date(ctx.now()).toISOString(), method, kind, path: rawPath, headers: req.headers });
  res.once("finish", () => {
    entry.status = res.statusCode;
    ctx.log(`${method} ${rawPath} ${res.statusCode} ${Date.now() - started}ms`);
  });
  const fault = deps.faults.take(kind);
  if (fault) entry.fault = fault.action;
  let url: URL;
  try {
    url = new URL(rawTarget, "http://local.invalid");
  } catch {
    url = new URL("http://local.invalid/");
  }
  const ex: Exchange = { req, res, url, rawPath, params: match?.params ?? {}, kind, fault, requestId: randomBytes(8).toString("hex") };
  try {
    if (!match) return sendApiError(ex, 404, "not_found", `Route ${method}:${rawPath} not found`);
    // A closing store cuts the delay short: the request is then answered (or dropped) at once.
    if (fault?.action === "delay") await sleep(fault.ms, deps.closing).catch(() => undefined);
    if (fault?.action === "status") {
      const retryAfter = fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      return isStorage(ex)
        ? sendS3Error(ex, fault.status, S3_CODES[fault.status] ?? `Http${fault.status}`, "Injected fault", {}, retryAfter)
        : sendApiError(ex, fault.status, API_CODES[fault.status] ?? `http_${fault.status}`, "Injected fault", {}, retryAfter);
    }
    await match.handler(ctx, ex);
  } catch (e) {
    ctx.log(`${method} ${rawPath} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    if (isStorage(ex)) sendS3Error(ex, 500, "InternalError", "We encountered an internal error. Please try again.");
    else sendApiError(ex, 500, "internal_error", "The local store failed to handle this request");
  }
}
