import { isNotFoundError } from "../errors/not-found-error.js";
import { encodeArtifactId } from "./artifact-path.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";

/** What `client.delete()` resolves to (also `kvcdn delete --json`). */
export interface DeleteResult {
  /** The deleted artifact's id. */
  id: string;
  /** Always true. */
  deleted: true;
}

/**
 * Delete an artifact (`DELETE /api/v1/artifacts/{id}`; any 2xx, 200 or 204). A 404 is {@link NotFoundError}, except
 * after a retried attempt whose first try may already have deleted it: then it counts as success.
 */
export async function deleteArtifact(ctx: ClientContext, id: string, options: CallOptions = {}): Promise<DeleteResult> {
  const path = `/api/v1/artifacts/${encodeArtifactId(id)}`;
  const state = { attempts: 0 };
  try {
    await callApi(
      ctx,
      { method: "DELETE", path, retry: "idempotent", signal: options.signal, timeout: options.timeout, retryOptions: options.retry, state },
      (signal) => ctx.api.DELETE("/api/v1/artifacts/{artifact_id}", { params: { path: { artifact_id: id } }, signal, parseAs: "text" }),
    );
  } catch (e) {
    if (!(isNotFoundError(e) && state.attempts > 1)) throw e;
  }
  return { id, deleted: true };
}
