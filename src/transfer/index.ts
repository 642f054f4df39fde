/** The transfer engine: presigned uploads and downloads that never lose data. */
export { hashFile, type FileDigest } from "./hash-file.js";
export { HASH_CHUNK_BYTES } from "../util/sha256-file.js";
export { uploadArtifact, isShardGroup, type UploadedArtifact, type UploadedShardGroup } from "./upload-artifact.js";
export type { UploadOptions } from "./upload-options.js";
export { downloadArtifact } from "./download-artifact.js";
export type { DownloadOptions, DownloadResult, DownloadSource } from "./download-options.js";
export { uploadMany, type UploadItem } from "./upload-many.js";
export { downloadMany } from "./download-many.js";
export { uploadArtifactEvents, downloadArtifactEvents } from "./transfer-event-streams.js";
export { transferEvents, type TransferEvent, type TransferDone } from "./transfer-events.js";
export type { TransferPhase, TransferProgress, ProgressCallback, TransferControl } from "./progress.js";
export type { TransferClient } from "./transfer-client.js";
export type { TransferTimeoutOptions } from "./transfer-timeout.js";
export type { SettledItem } from "./map-settled.js";
export { MAX_SINGLE_PUT_BYTES, type ShardInfo } from "./plan-kv-shards.js";
export { safeKvFileName } from "./resolve-destination.js";
