import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { KvcdnClient } from "../client/index.js";
import { readKvMetadata } from "../kv/read-kv-metadata.js";
import { formatSidecar, parseSidecar, sidecarPath } from "../kv/sidecar.js";
import { downloadArtifact } from "../transfer/download-artifact.js";
import type { FetchCacheOptions } from "./cache-dir-options.js";
import type { CacheLayout } from "./cache-layout.js";
import { storeBlob } from "./store-blob.js";

/**
 * Download a reference with the transfer engine (streamed, hashed, verified, resumed) into a private folder under
 * `tmp/`, then store it as `blobs/<sha256>.kv` with its sidecar. Whatever happens, the private folder is removed, so a
 * failed download (a full disk, a checksum mismatch, an abort) leaves only what was there before.
 * @returns the SHA-256 of the stored bytes.
 */
export async function downloadToBlob(params: {
  layout: CacheLayout;
  client: KvcdnClient | undefined;
  source: string;
  expectedSha256: string | undefined;
  /** Whether the artifact record (and so the sidecar it carries) describes these bytes; else the sidecar comes from the header. */
  recordMatches: boolean;
  options: FetchCacheOptions;
}): Promise<string> {
  const { layout, options } = params;
  const work = join(layout.tmp, `${process.pid}-${randomBytes(6).toString("hex")}`);
  await mkdir(work, { recursive: true });
  try {
    const dest = join(work, "download.kv");
    const result = await downloadArtifact({
      ...(params.client ? { client: params.client } : {}),
      source: params.source,
      dest,
      ...(params.expectedSha256 !== undefined ? { sha256: params.expectedSha256 } : {}),
      ...(params.recordMatches ? {} : { sidecar: false }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry !== undefined ? { retry: options.retry } : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      ...(options.transferTimeout !== undefined ? { transferTimeout: options.transferTimeout } : {}),
    });
    const sidecar = await sidecarText(dest, result.sha256);
    await storeBlob(layout, dest, result.sha256, sidecar);
    return result.sha256;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The sidecar the blob gets: the one the download wrote from the artifact's metadata, else one read from the `.kv`
 * header (which also proves the bytes are a `.kv`), always recording `sha256` so the runtime can trust the
 * directory's verification record instead of hashing again.
 */
async function sidecarText(kvPath: string, sha256: string): Promise<string> {
  const written = await readFile(sidecarPath(kvPath)).catch(() => undefined);
  if (written !== undefined) {
    const parsed = parseSidecar(written, sidecarPath(kvPath));
    if (parsed.sha256 === sha256) return formatSidecar(parsed);
  }
  const fromHeader = await readKvMetadata(kvPath);
  return formatSidecar({ ...fromHeader, sha256 });
}
