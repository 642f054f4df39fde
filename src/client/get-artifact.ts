import { isNotFoundError, NotFoundError } from "../errors/not-found-error.js";
import { normalizeArtifact, type Artifact } from "./artifact.js";
import { encodeArtifactId, isMissingRoute } from "./artifact-path.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { invalidResponse } from "./invalid-response.js";
import { listArtifacts } from "./list-artifacts.js";

/**
 * One artifact by id. `GET /api/v1/artifacts/{id}`; where the service has no such route (404 `Route … not found`,
 * the deployed service: docs/service-contract.md#routes-the-deployed-service-lacks) the list is scanned instead.
 * Unknown ids give {@link NotFoundError}.
 */
export async function getArtifact(ctx: ClientContext, id: string, options: CallOptions = {}): Promise<Artifact> {
  const path = `/api/v1/artifacts/${encodeArtifactId(id)}`;
  try {
    const { data, response } = await callApi(
      ctx,
      { method: "GET", path, retry: "idempotent", signal: options.signal, timeout: options.timeout, retryOptions: options.retry },
      (signal) => ctx.api.GET("/api/v1/artifacts/{artifact_id}", { params: { path: { artifact_id: id } }, signal }),
    );
    const artifact = normalizeArtifact(data);
    if (artifact === undefined) throw invalidResponse(response, `GET ${path}`, "its body is not an artifact", data);
    return artifact;
  } catch (e) {
    if (!isNotFoundError(e) || !isMissingRoute(e)) throw e;
    ctx.logger.debug?.(`GET ${path} is not a route of this service; scanning the artifact list for ${id}`);
    for await (const artifact of listArtifacts(ctx, options)) if (artifact.id === id) return artifact;
    throw new NotFoundError(`Artifact ${id} not found (not in the artifact list of ${ctx.apiUrl})`, {
      status: 404,
      url: `${ctx.apiUrl}/api/v1/artifacts`,
      method: "GET",
      code: "not_found",
    });
  }
}
