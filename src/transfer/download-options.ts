import type { TransferControl } from "./progress.js";

/**
 * What to download: an artifact id (private, through download-url), a public CDN URL (no credentials), or the parts
 * of one (`{ orgSlug, projectSlug, id }`, built into a CDN URL with the client's `cdnUrl`).
 */
export type DownloadSource = string | { orgSlug: string; projectSlug: string; id: string };

/**
 * Options of a download (`downloadArtifact`, `client.download`, `downloadMany`).
 * @example await client.download(id, "./caches/", { onProgress: (e) => console.error(e.phase, e.bytes) })
 */
export interface DownloadOptions extends TransferControl {
  /** The SHA-256 the bytes must have. @default the artifact's checksum (or the CDN's `X-Checksum-Sha256`) */
  sha256?: string;
  /** Resumptions (with `Range`) or restarts after interruptions, refused URLs and busy answers. @default 5 */
  maxResumes?: number;
  /** Write `<dest>.json` from the artifact's metadata (its sidecar, plus `sha256`). @default true */
  sidecar?: boolean;
  /** Rebuild a cache that was uploaded as layer-range shards into one `.kv` (given any shard's id). @default true */
  reassemble?: boolean;
}

/** What a download wrote. */
export interface DownloadResult {
  /** The artifact id, when known. */
  id?: string;
  /** Absolute path of the `.kv` written. */
  path: string;
  sizeBytes: number;
  /** Lowercase hex SHA-256 of the file, verified while streaming. */
  sha256: string;
  /** Whether the SHA-256 was checked against a known value (the artifact's, the caller's or the CDN's). */
  verified: boolean;
  /** The sidecar written beside it, if any. */
  sidecarPath?: string;
}
