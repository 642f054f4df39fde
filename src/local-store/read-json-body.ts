import { sendApiError, type Exchange } from "./exchange.js";

/** The media type of a Content-Type header, lowercased, without parameters. */
const mediaType = (header: string | undefined): string | undefined => header?.split(";")[0]?.trim().toLowerCase() || undefined;

const isJsonType = (header: string | undefined): boolean => mediaType(header) === "application/json";

/**
 * Read the whole body up to `maxBytes`; `undefined` when it is larger (the caller answers 413 with
 * `Connection: close`). The request is only paused, not destroyed, so that answer still reaches the client.
 */
function readBounded(ex: Exchange, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(ex.req.headers["content-length"] ?? Number.NaN);
  if (declared > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (value: Buffer | undefined, error?: Error): void => {
      ex.req.off("data", onData).off("end", onEnd).off("error", onError);
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        ex.req.pause();
        return finish(undefined);
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks, total));
    const onError = (e: Error): void => finish(undefined, e);
    ex.req.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

function tooLarge(ex: Exchange, maxBytes: number): undefined {
  sendApiError(ex, 413, "payload_too_large", `JSON body over ${maxBytes} bytes`, {}, { connection: "close" });
  return undefined;
}

const EMPTY_JSON_MESSAGE = "Body cannot be empty when content-type is set to 'application/json'";

/**
 * Read a JSON object body under the deployed service's rules (docs/service-contract.md#request-bodies): another content
 * type → 415, `application/json` with an empty body → 400 `FST_ERR_CTP_EMPTY_JSON_BODY`, over `maxBytes` → 413,
 * malformed or not an object → 400. Answers the error itself and returns undefined; a missing body with no Content-Type
 * gives `{}` when `optional`.
 */
export async function readJsonBody(
  ex: Exchange,
  options: { maxBytes: number; optional?: boolean },
): Promise<Record<string, unknown> | undefined> {
  const contentType = ex.req.headers["content-type"];
  if (contentType === undefined) {
    const body = await readBounded(ex, options.maxBytes);
    if (body === undefined) return tooLarge(ex, options.maxBytes);
    if (body.length === 0 && options.optional === true) return {};
    sendApiError(ex, body.length === 0 ? 400 : 415, body.length === 0 ? "invalid_request" : "unsupported_media_type",
      body.length === 0 ? "A JSON body is required" : "Send the body as application/json");
    return undefined;
  }
  if (!isJsonType(contentType)) {
    sendApiError(ex, 415, "unsupported_media_type", `Unsupported Media Type: ${mediaType(contentType) ?? contentType}; send application/json`);
    return undefined;
  }
  const body = await readBounded(ex, options.maxBytes);
  if (body === undefined) return tooLarge(ex, options.maxBytes);
  if (body.length === 0) {
    sendApiError(ex, 400, "invalid_request", EMPTY_JSON_MESSAGE, { code: "FST_ERR_CTP_EMPTY_JSON_BODY" });
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (e) {
    sendApiError(ex, 400, "invalid_json", `Body is not valid JSON: ${(e as Error).message}`, { code: "FST_ERR_CTP_INVALID_JSON_BODY" });
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    sendApiError(ex, 400, "invalid_request", "The JSON body must be an object");
    return undefined;
  }
  return parsed as Record<string, unknown>;
}

/**
 * For routes that take no body (download-url, verify, delete): discard whatever was sent and, like the deployed
 * service, reject `Content-Type: application/json` with an empty body (400). Returns false once answered.
 */
export async function expectNoBody(ex: Exchange): Promise<boolean> {
  let bytes = 0;
  for await (const chunk of ex.req as AsyncIterable<Buffer>) bytes += chunk.length;
  if (bytes === 0 && isJsonType(ex.req.headers["content-type"])) {
    sendApiError(ex, 400, "invalid_request", EMPTY_JSON_MESSAGE, { code: "FST_ERR_CTP_EMPTY_JSON_BODY" });
    return false;
  }
  return true;
}
