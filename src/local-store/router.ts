import { getHealth, getQuota, getUsage, listAuditEvents, verifyApiKey } from "./account-routes.js";
import { deleteArtifact, getArtifact, listArtifacts, updateArtifact } from "./artifact-routes.js";
import { getPublicArtifact } from "./cdn-route.js";
import type { Exchange } from "./exchange.js";
import type { RequestKind } from "./request-kind.js";
import { presignedGet, presignedPut } from "./storage-routes.js";
import type { StoreContext } from "./store-context.js";
import { confirmUpload, createDownloadUrl, createUploadUrl } from "./upload-routes.js";

/** A route handler: answers the exchange itself. */
export type Handler = (ctx: StoreContext, ex: Exchange) => Promise<void>;

interface Route {
  methods: readonly string[];
  /** Path segments; `:name` captures one segment. */
  segments: readonly string[];
  kind: Exclude<RequestKind, "unknown">;
  handler: Handler;
}

const route = (methods: string | readonly string[], path: string, kind: Route["kind"], handler: Handler): Route => ({
  methods: typeof methods === "string" ? [methods] : methods,
  segments: path.split("/").slice(1),
  kind,
  handler,
});

/** Every route of openapi.yaml, plus the presigned storage and the CDN under `/cdn`. Literal paths come first. */
const ROUTES: readonly Route[] = [
  route("GET", "/health", "getHealth", getHealth),
  route("POST", "/api/v1/artifacts/upload-url", "createUploadUrl", createUploadUrl),
  route("POST", "/api/v1/artifacts/:artifact_id/confirm-upload", "confirmUpload", confirmUpload),
  route("POST", "/api/v1/artifacts/:artifact_id/download-url", "createDownloadUrl", createDownloadUrl),
  route("GET", "/api/v1/artifacts", "listArtifacts", listArtifacts),
  route("GET", "/api/v1/artifacts/:artifact_id", "getArtifact", getArtifact),
  route("PATCH", "/api/v1/artifacts/:artifact_id", "updateArtifact", updateArtifact),
  route("DELETE", "/api/v1/artifacts/:artifact_id", "deleteArtifact", deleteArtifact),
  route("GET", "/api/v1/usage", "getUsage", getUsage),
  route("GET", "/api/v1/quota", "getQuota", getQuota),
  route("POST", "/api/v1/api-keys/verify", "verifyApiKey", verifyApiKey),
  route("GET", "/api/v1/audit-log", "listAuditEvents", listAuditEvents),
  route("PUT", "/storage/:object_key", "put", presignedPut),
  route("GET", "/storage/:object_key", "get", presignedGet),
  route(["GET", "HEAD"], "/cdn/:org_slug/:project_slug/:artifact_id", "cdn", getPublicArtifact),
];

/** The matched route: its kind, handler and percent-decoded path parameters. */
export interface RouteMatch {
  kind: Route["kind"];
  handler: Handler;
  params: Record<string, string>;
}

/**
 * Find the route for `method` and a raw (not decoded) path. Undefined when nothing matches (the caller answers
 * 404) or a segment is not valid percent-encoding.
 * @example matchRoute("GET", "/api/v1/artifacts/3f…") // { kind: "getArtifact", params: { artifact_id: "3f…" }, … }
 */
export function matchRoute(method: string, rawPath: string): RouteMatch | undefined {
  const parts = rawPath.split("/").slice(1);
  for (const r of ROUTES) {
    if (r.segments.length !== parts.length || !r.methods.includes(method)) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const want = r.segments[i]!;
      const got = parts[i]!;
      if (want.startsWith(":")) {
        try {
          params[want.slice(1)] = decodeURIComponent(got);
        } catch {
          ok = false;
        }
        ok &&= got.length > 0;
      } else {
        ok = want === got;
      }
    }
    if (ok) return { kind: r.kind, handler: r.handler, params };
  }
  return undefined;
}
