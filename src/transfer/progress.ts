import type { FetchLike } from "../client/client-options.js";
/** The step of a transfer a progress event reports on. */
export type TransferPhase = "hashing" | "uploading" | "confirming" | "downloading" | "verifying";

/**
 * A progress event. `bytes` counts what this phase has processed so far and `totalBytes` what it will process; a
 * retried PUT or a restarted download starts its phase again from 0.
 * @example onProgress: (e) => console.error(`${e.phase} ${e.bytes}/${e.totalBytes}`)
 */
export interface TransferProgress {
  phase: TransferPhase;
  /** Bytes processed so far in this phase. */
  bytes: number;
  /** Bytes this phase will process in all. */
  totalBytes: number;
  /** The artifact concerned, once the service has assigned one. */
  artifactId?: string;
  /** The local file concerned (the source of an upload, the destination of a download). */
  file?: string;
}

/** A callback receiving progress events. It must not throw; anything it throws is ignored. */
export type ProgressCallback = (event: TransferProgress) => void;

/** Options every transfer call accepts. */
export interface TransferControl {
  /** Cancels everything in flight; the call rejects with `AbortError` whose `cause` is `signal.reason`. */
  signal?: AbortSignal;
  /** The fetch used for storage and CDN requests (API calls go through the client's own fetch). @default globalThis.fetch */
  fetch?: FetchLike;
  /** Receives typed progress events. */
  onProgress?: ProgressCallback;
}

/** Call a progress callback without letting it break the transfer. */
export function emitProgress(onProgress: ProgressCallback | undefined, event: TransferProgress): void {
  if (onProgress === undefined) return;
  try {
    onProgress(event);
  } catch {
    // A failing progress renderer must not fail (or half-finish) a transfer.
  }
}
