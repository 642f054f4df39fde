import type { FetchLike } from "../client/client-options.js";
import type { RetryOptions } from "../retry/retry-options.js";
import type { TransferTimeoutOptions } from "./transfer-timeout.js";

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
  /**
   * Retry policy of every request of the transfer (API calls, PUTs, GETs), or a number for `{ limit }`; fields not
   * given come from the client's `retry`. Each request has one retry loop: a persistent 429 costs `limit + 1` calls.
   * @default the client's `retry`
   */
  retry?: number | RetryOptions;
  /** Per-attempt timeout of the transfer's API calls in ms (`false`: none). @default the client's `timeout` (30000) */
  timeout?: number | false;
  /**
   * Timeout of each storage request (PUT, GET, and confirm-upload, which re-reads the object), scaled with its
   * bytes; `false` for none.
   * @default { baseMs: 60_000, minBytesPerSecond: 262_144 }
   */
  transferTimeout?: TransferTimeoutOptions | false;
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
