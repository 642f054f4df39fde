/** The free plan's artifact limit (product documents: "Free accounts are limited to 20 artifacts"). */
export const FREE_PLAN_ARTIFACT_LIMIT = 20;

/**
 * Default storage quota per organization: 1 TiB, the deployed backend's default
 * (docs/service-contract.md#quota-and-usage).
 */
export const DEFAULT_QUOTA_BYTES = 2 ** 40;

/** Largest single presigned PUT: 5 GiB, S3's single-PUT ceiling (product documents, "Large files"). */
export const MAX_SINGLE_PUT_BYTES = 5 * 2 ** 30;

/** Presigned URL lifetime: 15 minutes, as the product documents state. */
export const PRESIGNED_URL_TTL_MS = 15 * 60 * 1000;

/** Largest JSON request body: 1 MiB, the deployed service's limit (docs/service-contract.md#request-bodies). */
export const MAX_JSON_BODY_BYTES = 2 ** 20;

/** Organization slug of the dev key created on first start. */
export const DEV_ORG_SLUG = "dev";

/** Project slug of the dev key created on first start. */
export const DEV_PROJECT_SLUG = "default";

/** Port `kvcdn serve` listens on unless told otherwise (the `servers` entry in openapi.yaml). */
export const CLI_DEFAULT_PORT = 8787;

/** How many request-log entries the store keeps (oldest dropped first). */
export const REQUEST_LOG_LIMIT = 10_000;

/** `api_key.used` is written at most once per key per this interval, so the audit log stays readable. */
export const KEY_USE_AUDIT_INTERVAL_MS = 60 * 60 * 1000;

/** Read size when hashing or serving blobs: large enough for full SHA-NI speed, small enough for flat memory. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;
