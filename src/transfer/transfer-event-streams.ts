import type { TransferClient } from "./transfer-client.js";
import { downloadArtifact } from "./download-artifact.js";
import type { DownloadOptions, DownloadResult, DownloadSource } from "./download-options.js";
import type { TransferProgress } from "./progress.js";
import { transferEvents, type TransferEvent } from "./transfer-events.js";
import { uploadArtifact, type UploadedArtifact } from "./upload-artifact.js";
import type { UploadOptions } from "./upload-options.js";

const both =
  (a: ((e: TransferProgress) => void) | undefined, b: (e: TransferProgress) => void) =>
  (e: TransferProgress): void => {
    a?.(e);
    b(e);
  };

/**
 * {@link uploadArtifact} as an async iterator of progress events ending with `{ phase: "done", result }`.
 * Leaving the loop early aborts the upload (and cleans up its pending artifact).
 * @example for await (const e of uploadArtifactEvents({ client, file })) if (e.phase === "done") console.log(e.result.id)
 */
export function uploadArtifactEvents(
  params: UploadOptions & { client: TransferClient; file: string },
): AsyncGenerator<TransferEvent<UploadedArtifact>, void, undefined> {
  return transferEvents(({ onProgress, signal }) => uploadArtifact({ ...params, signal, onProgress: both(params.onProgress, onProgress) }), params.signal);
}

/**
 * {@link downloadArtifact} as an async iterator of progress events ending with `{ phase: "done", result }`.
 * Leaving the loop early aborts the download (the destination stays as it was).
 * @example for await (const e of downloadArtifactEvents({ client, source: id, dest: "ctx.kv" })) console.log(e.phase)
 */
export function downloadArtifactEvents(
  params: DownloadOptions & { client?: TransferClient; source: DownloadSource; dest: string },
): AsyncGenerator<TransferEvent<DownloadResult>, void, undefined> {
  return transferEvents(({ onProgress, signal }) => downloadArtifact({ ...params, signal, onProgress: both(params.onProgress, onProgress) }), params.signal);
}
