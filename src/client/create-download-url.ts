import { encodeArtifactId } from "./artifact-path.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { invalidResponse } from "./invalid-response.js";

/**
 * A presigned GET for a private artifact, normalised (docs/service-contract.md#deployed-service-variants). Wire names.
 */
export interface DownloadUrl {
  /** The artifact's id. */
  artifact_id: string;
  /** The presigned GET URL (`download_url ?? url`); fetch it without credentials. */
  download_url: string;
  /** When the URL expires (ISO 8601), when the service says. */
  expires_at: string | null;
  /** Size in bytes, when the service says. */
  size_bytes: number | null;
  /** SHA-256 of the bytes, lowercase hex, when the service says. */
  checksum: string | null;
}

/**
 * Get a time-limited presigned GET URL for an artifact of the caller's organization (`POST
 * /api/v1/artifacts/{id}/download-url`, no body and no Content-Type: docs/service-contract.md#request-bodies).
 * Idempotent, so retried.
 */
export async function createDownloadUrl(ctx: ClientContext, id: string, options: CallOptions = {}): Promise<DownloadUrl> {
  const path = `/api/v1/artifacts/${encodeArtifactId(id)}/download-url`;
  const operation = `POST ${path}`;
  const { data, response } = await callApi(
    ctx,
    { method: "POST", path, retry: "idempotent", signal: options.signal, timeout: options.timeout, retryOptions: options.retry },
    (signal) => ctx.api.POST("/api/v1/artifacts/{artifact_id}/download-url", { params: { path: { artifact_id: id } }, signal }),
  );
  const o = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const url = typeof o["download_url"] === "string" && o["download_url"] !== "" ? o["download_url"] : typeof o["url"] === "string" && o["url"] !== "" ? o["url"] : undefined;
  if (url === undefined) throw invalidResponse(response, operation, "its body has no download_url", data);
  const answeredId = typeof o["artifact_id"] === "string" ? o["artifact_id"] : typeof o["id"] === "string" ? o["id"] : id;
  if (answeredId !== id) throw invalidResponse(response, operation, `it is for another artifact (${answeredId})`, data);
  const checksum = typeof o["checksum"] === "string" ? o["checksum"] : typeof o["sha256"] === "string" ? o["sha256"] : null;
  return {
    artifact_id: id,
    download_url: url,
    expires_at: typeof o["expires_at"] === "string" ? o["expires_at"] : null,
    size_bytes: typeof o["size_bytes"] === "number" ? o["size_bytes"] : null,
    checksum: checksum === null ? null : checksum.toLowerCase(),
  };
}
