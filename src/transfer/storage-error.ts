import { PresignedUrlError, parseS3Error } from "../errors/index.js";
import { describeUrl } from "./fetch-without-credentials.js";

/** Most bytes of an error body read from storage (S3 error documents are tiny; anything larger is not one). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * The typed error for a storage (presigned or CDN) response that was not a success: S3's XML `<Code>` and
 * `<Message>` when the body has them. The URL in the message never includes the query (the signature).
 */
export async function storageError(response: Response, url: string): Promise<PresignedUrlError> {
  const text = await readCapped(response, MAX_ERROR_BODY_BYTES);
  const parsed = parseS3Error(text);
  const code = parsed?.code ?? `Http${response.status}`;
  const detail = parsed?.message ?? response.statusText ?? "";
  const requestId = parsed?.requestId ?? response.headers.get("x-amz-request-id") ?? undefined;
  return new PresignedUrlError(`Storage answered ${response.status} ${code}${detail ? `: ${detail}` : ""} (${describeUrl(url)})`, {
    status: response.status,
    code,
    s3Message: parsed?.message,
    requestId,
    url: describeUrl(url),
  });
}

async function readCapped(response: Response, max: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch {
    // a broken error body still gives an error
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString("utf8");
}
