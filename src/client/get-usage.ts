import { isNotFoundError } from "../errors/not-found-error.js";
import { isMissingRoute } from "./artifact-path.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { invalidResponse } from "./invalid-response.js";
import { unsupportedRouteError } from "./unsupported-route-error.js";
import { normalizeUsage, type Usage } from "../errors/usage.js";

/**
 * Storage usage of the caller's organization as `{used_bytes, quota_bytes, artifact_count, artifact_limit}`:
 * `GET /api/v1/usage`, or where that route is missing (the deployed service) `GET /api/v1/quota`, whose nested
 * shape is mapped (docs/service-contract.md#quota-and-usage).
 */
export async function getUsage(ctx: ClientContext, options: CallOptions = {}): Promise<Usage> {
  const call = { retry: "idempotent" as const, signal: options.signal, timeout: options.timeout, retryOptions: options.retry };
  let result: { data: unknown; response: Response };
  let path = "/api/v1/usage";
  try {
    result = await callApi(ctx, { ...call, method: "GET", path }, (signal) => ctx.api.GET("/api/v1/usage", { signal }));
  } catch (e) {
    if (!isNotFoundError(e)) throw e;
    path = "/api/v1/quota";
    try {
      result = await callApi(ctx, { ...call, method: "GET", path }, (signal) => ctx.api.GET("/api/v1/quota", { signal }));
    } catch (e2) {
      if (isNotFoundError(e2) && isMissingRoute(e2)) {
        throw unsupportedRouteError(e2, { apiUrl: ctx.apiUrl, method: "GET", path: "/api/v1/usage or /api/v1/quota", what: "report usage" });
      }
      throw e2;
    }
  }
  const usage = normalizeUsage(result.data);
  if (usage === undefined) throw invalidResponse(result.response, `GET ${path}`, "its body holds no usage figures", result.data);
  return usage;
}
