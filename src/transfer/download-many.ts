import { stat } from "node:fs/promises";
import type { TransferClient } from "./transfer-client.js";
import { LocalFileError } from "../errors/index.js";
import { downloadArtifact } from "./download-artifact.js";
import type { DownloadOptions, DownloadResult, DownloadSource } from "./download-options.js";
import { DEFAULT_CONCURRENCY, mapSettled, type SettledItem } from "./map-settled.js";
import { resolveDestination } from "./resolve-destination.js";
import { resolveDownloadSource } from "./resolve-download-source.js";

/**
 * Download several artifacts into the directory `dest` (each as `<id>.kv`; one source may also go to a file path),
 * with at most `concurrency` in flight. Each settles on its own; `signal` stops them all. Two sources that would
 * write the same file: the second fails with `LocalFileError` (`EEXIST`) instead of racing the first.
 * @example const results = await downloadMany({ client, sources: [id1, id2], dest: "./caches" })
 */
export async function downloadMany(
  params: DownloadOptions & {
    client?: TransferClient;
    sources: readonly DownloadSource[];
    dest: string;
    /** Downloads in flight at once. @default 4 */
    concurrency?: number;
  },
): Promise<Array<SettledItem<DownloadSource, DownloadResult>>> {
  const { sources, concurrency, dest, ...common } = params;
  if (sources.length > 1) {
    const info = await stat(dest).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new LocalFileError(`Several downloads need a directory as destination; ${dest} is not one`, dest, { code: "ENOTDIR" });
    }
  }
  const claimed = new Set<string>();
  return mapSettled(sources, concurrency ?? DEFAULT_CONCURRENCY, async (source) => {
    const target = resolveDownloadSource(common.client, source);
    const path = await resolveDestination({ dest, id: target.id });
    if (claimed.has(path)) {
      throw new LocalFileError(`Two downloads would write ${path}`, path, { code: "EEXIST" });
    }
    claimed.add(path);
    return downloadArtifact({ ...common, source, dest: path });
  });
}
