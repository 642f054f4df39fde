/** `kvcdn/local-store`: KV Cache Store on one machine (`startLocalStore`, also behind `kvcdn serve`). */
export { VERSION } from "../version.js";
export { startLocalStore } from "./start-local-store.js";
export { defaultStoreDir } from "./default-store-dir.js";
export type { ApiKeyGrant, LocalStore, LocalStoreOptions } from "./types.js";
export type { Fault, FaultTarget, LocalStoreFaults, PendingFault } from "./faults.js";
export type { RequestLog, RequestLogEntry } from "./request-log.js";
export { API_OPERATIONS, type ApiOperation, type RequestKind } from "./request-kind.js";
export { LocalStoreError, isLocalStoreError } from "./local-store-error.js";
export {
  CLI_DEFAULT_PORT,
  DEFAULT_QUOTA_BYTES,
  DEV_ORG_SLUG,
  DEV_PROJECT_SLUG,
  FREE_PLAN_ARTIFACT_LIMIT,
  MAX_JSON_BODY_BYTES,
  MAX_SINGLE_PUT_BYTES,
  PRESIGNED_URL_TTL_MS,
} from "./constants.js";
