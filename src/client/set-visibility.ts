import { KvcdnError } from "../errors/kvcdn-error.js";
import { isNotFoundError } from "../errors/not-found-error.js";
import { isFullArtifact, normalizeArtifact, type Artifact, type Visibility } from "./artifact.js";
import { encodeArtifactId, isMissingRoute } from "./artifact-path.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { getArtifact } from "./get-artifact.js";
import { unsupportedRouteError } from "./unsupported-route-error.js";

/**
 * Make an artifact `public` or `private` (`PATCH /api/v1/artifacts/{id}`) and return it. A service without that
 * route (the deployed one: docs/service-contract.md#routes-the-deployed-service-lacks) gives a `NotFoundError` with
 * code `unsupported` (see {@link unsupportedRouteError}).
 */
export async function setVisibility(ctx: ClientContext, id: string, visibility: Visibility, options: CallOptions = {}): Promise<Artifact> {
  if (visibility !== "public" && visibility !== "private") {
    throw new KvcdnError(`visibility must be "public" or "private", not ${JSON.stringify(visibility)}`, { code: "invalid_argument" });
  }
  const path = `/api/v1/artifacts/${encodeArtifactId(id)}`;
  let data: unknown;
  try {
    ({ data } = await callApi(
      ctx,
      // The same PATCH twice leaves the same state: safe to retry.
      { method: "PATCH", path, retry: "idempotent", signal: options.signal, timeout: options.timeout, retryOptions: options.retry },
      (signal) => ctx.api.PATCH("/api/v1/artifacts/{artifact_id}", { params: { path: { artifact_id: id } }, body: { visibility }, signal }),
    ));
  } catch (e) {
    if (isNotFoundError(e) && isMissingRoute(e)) {
      throw unsupportedRouteError(e, { apiUrl: ctx.apiUrl, method: "PATCH", path, what: "change visibility" });
    }
    throw e;
  }
  if (isFullArtifact(data)) {
    const artifact = normalizeArtifact(data);
    if (artifact !== undefined) return artifact;
  }
  return getArtifact(ctx, id, options);
}
