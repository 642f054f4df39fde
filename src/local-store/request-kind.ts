/** The API operations of openapi.yaml the local store serves, by `operationId`. */
export const API_OPERATIONS = [
  "getHealth",
  "createUploadUrl",
  "confirmUpload",
  "createDownloadUrl",
  "listArtifacts",
  "getArtifact",
  "updateArtifact",
  "deleteArtifact",
  "getUsage",
  "getQuota",
  "verifyApiKey",
  "listAuditEvents",
] as const;

/** An API `operationId` (see {@link API_OPERATIONS}). */
export type ApiOperation = (typeof API_OPERATIONS)[number];

/**
 * What a request was: `put` (presigned PUT), `get` (presigned GET), `cdn` (public CDN GET/HEAD), an API
 * `operationId`, or `unknown` (no route matched).
 */
export type RequestKind = "put" | "get" | "cdn" | ApiOperation | "unknown";

/** True for every request kind a fault can target (anything but `unknown`). */
export const isFaultTarget = (kind: string): kind is Exclude<RequestKind, "unknown"> =>
  kind === "put" || kind === "get" || kind === "cdn" || (API_OPERATIONS as readonly string[]).includes(kind);
