import type { TransferControl } from "./progress.js";

/**
 * Options of an upload (`uploadArtifact`, `client.upload`, `uploadMany`). Every bound is an option.
 * @example await client.upload("ctx.kv", { name: "Qwen system prompt", visibility: "private", onProgress: console.log })
 */
export interface UploadOptions extends TransferControl {
  /** Display name. @default the file name without `.kv` */
  name?: string;
  /** Free-text description (searchable). */
  description?: string;
  /** Who can download it. @default "private" */
  visibility?: "private" | "public";
  /** The producing model's id (e.g. `Qwen/Qwen3-0.6B`). @default the sidecar's `model_name` */
  model?: string;
  /** Extra fields merged into the artifact's `metadata` (kvcdn's own fields win). */
  metadata?: Record<string, unknown>;
  /** Fresh upload URLs after a refused, expired or broken PUT; each replaces (and deletes) a pending artifact. @default 3 */
  maxUrlRefreshes?: number;
  /** Whole re-uploads after confirm-upload found the stored bytes wrong. @default 2 */
  maxReuploads?: number;
  /** Largest single PUT in bytes; larger `.kv` files are sharded by layer range (or refused). @default MAX_SINGLE_PUT_BYTES (5 GiB) */
  maxPutBytes?: number;
  /** Split files over `maxPutBytes` into layer-range shards; `false` refuses them with `FileTooLargeError`. @default true */
  sharding?: boolean;
  /** Longest life of a presigned URL whatever `expires_at` says, in ms (the deployed service signs 300 s). @default 300_000 */
  presignedTtlMs?: number;
  /** Replace a URL this close to its deadline before starting a PUT, in ms. @default 15_000 */
  urlSafetyMarginMs?: number;
}
