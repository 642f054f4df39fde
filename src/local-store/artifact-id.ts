import { UUID_PATTERN } from "./artifact-store.js";
import { sendApiError, type Exchange } from "./exchange.js";

/**
 * The route's `artifact_id`, lowercased, or undefined after answering 400 `invalid_artifact_id` when it is not a
 * UUID (docs/service-contract.md#request-bodies).
 */
export function artifactIdParam(ex: Exchange): string | undefined {
  const id = (ex.params.artifact_id ?? "").toLowerCase();
  if (UUID_PATTERN.test(id)) return id;
  sendApiError(ex, 400, "invalid_artifact_id", "artifact_id must be a UUID");
  return undefined;
}
