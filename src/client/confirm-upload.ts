import { isFullArtifact, normalizeArtifact, type Artifact } from "./artifact.js";
import { encodeArtifactId } from "./artifact-path.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { getArtifact } from "./get-artifact.js";

/** The body of confirm-upload: what was PUT. `digest` is added (equal to `checksum`) for the Rust CLI's backend. */
export interface ConfirmUploadRequest {
  /** Bytes PUT. */
  size_bytes: number;
  /** SHA-256 of those bytes, lowercase hex. */
  checksum: string;
  /** Alias of `checksum` read by the deployed service. @default checksum */
  digest?: string;
}

/**
 * Confirm an upload: the service compares the stored object with the recorded size and SHA-256 and marks the
 * artifact `ready`. Idempotent, so retried. A mismatch is a `ValidationError` (400). Resolves to the artifact; when
 * the service answers only `{artifact_id, sha256}` (the deployed service), the artifact is fetched.
 */
export async function confirmUpload(ctx: ClientContext, id: string, body: ConfirmUploadRequest, options: CallOptions = {}): Promise<Artifact> {
  const path = `/api/v1/artifacts/${encodeArtifactId(id)}/confirm-upload`;
  const { data } = await callApi(
    ctx,
    { method: "POST", path, retry: "idempotent", signal: options.signal, timeout: options.timeout, retryOptions: options.retry },
    (signal) =>
      ctx.api.POST("/api/v1/artifacts/{artifact_id}/confirm-upload", {
        params: { path: { artifact_id: id } },
        body: { size_bytes: body.size_bytes, checksum: body.checksum, digest: body.digest ?? body.checksum },
        signal,
      }),
  );
  if (isFullArtifact(data)) {
    const artifact = normalizeArtifact(data);
    if (artifact !== undefined) return artifact;
  }
  return getArtifact(ctx, id, options);
}
