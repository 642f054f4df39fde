import { DEFAULT_API_URL } from "../config/defaults.js";
import { NotFoundError } from "../errors/not-found-error.js";

/** Where the hosted service's dashboard lives; only its own users are sent there. */
const HOSTED_DASHBOARD = "kvcachestore.com/app";

/**
 * The {@link NotFoundError} (code `unsupported`) for a route this service lacks: it says what cannot be done and,
 * only when `apiUrl` is the hosted service, where to do it instead (a self-hosted service has no such dashboard).
 * @example throw unsupportedRouteError(e, { apiUrl, method: "PATCH", path, what: "change visibility" })
 */
export function unsupportedRouteError(
  cause: NotFoundError,
  params: { apiUrl: string; method: string; path: string; what: string },
): NotFoundError {
  const hosted = new URL(params.apiUrl).origin === new URL(DEFAULT_API_URL).origin;
  const where = hosted ? `; use the dashboard at ${HOSTED_DASHBOARD}` : "; this service offers no other way to do it";
  return new NotFoundError(`This KV Cache Store (${params.apiUrl}) cannot ${params.what} through the API (no ${params.method} ${params.path})${where}`, {
    status: cause.status,
    url: cause.url,
    method: params.method,
    requestId: cause.requestId,
    body: cause.body,
    code: "unsupported",
  });
}
