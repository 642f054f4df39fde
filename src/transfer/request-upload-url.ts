import type { UploadUrlRequest } from "../client/create-upload-url.js";
import type { TransferClient } from "./transfer-client.js";

/** What upload-url gave: where to PUT, until when, with which headers. */
export interface UploadTicket {
  artifactId: string;
  url: string;
  method: string;
  uploadHeaders: Record<string, string>;
  /** Epoch ms after which the URL must not be used: min(expires_at, issue time + presigned TTL). */
  deadline: number;
}

/**
 * One upload-url call (it creates a pending artifact), not retried by the client: the upload's own loop retries it,
 * so that a 429 is retried in one place only and an unknown outcome is reconciled. The deadline counts from when the
 * request was sent.
 */
export async function requestUploadUrl(params: {
  client: TransferClient;
  body: UploadUrlRequest;
  presignedTtlMs: number;
  /** Per-attempt timeout of the call in ms. @default the client's */
  timeout?: number | false | undefined;
}): Promise<UploadTicket> {
  const issuedAt = Date.now();
  const res = await params.client.createUploadUrl(params.body, { retry: 0, timeout: params.timeout });
  const expires = res.expires_at === null ? Number.NaN : Date.parse(res.expires_at);
  const ttlDeadline = issuedAt + params.presignedTtlMs;
  return {
    artifactId: res.artifact_id,
    url: res.url,
    method: res.method,
    uploadHeaders: res.upload_headers,
    deadline: Number.isNaN(expires) ? ttlDeadline : Math.min(expires, ttlDeadline),
  };
}
