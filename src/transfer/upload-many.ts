import type { TransferClient } from "./transfer-client.js";
import { DEFAULT_CONCURRENCY, mapSettled, type SettledItem } from "./map-settled.js";
import { uploadArtifact, type UploadedArtifact } from "./upload-artifact.js";
import type { UploadOptions } from "./upload-options.js";

/** One file of a batch upload, optionally with its own name, description, visibility, model or metadata. */
export type UploadItem = string | ({ file: string } & Pick<UploadOptions, "name" | "description" | "visibility" | "model" | "metadata">);

/**
 * Upload several `.kv` files with at most `concurrency` in flight. Each file settles on its own (one failure does not
 * stop the others; `signal` stops them all), and each failure cleans up after itself as {@link uploadArtifact} does.
 * Progress events carry `file` so a renderer can tell them apart.
 * @example const results = await uploadMany({ client, files: ["a.kv", "b.kv"], visibility: "private" })
 */
export async function uploadMany(
  params: UploadOptions & {
    client: TransferClient;
    files: readonly UploadItem[];
    /** Uploads in flight at once. @default 4 */
    concurrency?: number;
  },
): Promise<Array<SettledItem<UploadItem, UploadedArtifact>>> {
  const { files, concurrency, ...common } = params;
  return mapSettled(files, concurrency ?? DEFAULT_CONCURRENCY, (item) =>
    uploadArtifact(typeof item === "string" ? { ...common, file: item } : { ...common, ...item }),
  );
}
