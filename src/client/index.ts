export { createKvcdnClient } from "./create-kvcdn-client.js";
export { KvcdnClient } from "./kvcdn-client.js";
export {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  type CallOptions,
  type FetchLike,
  type KvcdnClientOptions,
  type ResolvedRetryOptions,
  type RetryEvent,
  type RetryOptions,
} from "./client-options.js";
export { normalizeArtifact, type Artifact, type ArtifactStatus, type Visibility } from "./artifact.js";
export { normalizeUsage, type Usage } from "./usage.js";
export { matchesListFilters, type ArtifactPage, type ListArtifactsParams } from "./list-artifacts.js";
export type { DeleteResult } from "./delete-artifact.js";
export type { Identity } from "./verify-api-key.js";
export type { UploadUrl, UploadUrlRequest } from "./create-upload-url.js";
export type { ConfirmUploadRequest } from "./confirm-upload.js";
export type { DownloadUrl } from "./create-download-url.js";
export type { PublicUrlParams } from "./public-url.js";
export { USER_AGENT } from "./user-agent.js";
export { backoffDelay } from "./backoff-delay.js";
