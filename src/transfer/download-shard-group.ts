import { open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { Artifact } from "../client/artifact.js";
import { IntegrityError, KvcdnError } from "../errors/index.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import type { DownloadOptions, DownloadResult } from "./download-options.js";
import { mergeKvShards } from "./merge-kv-shards.js";
import type { ShardInfo } from "./plan-kv-shards.js";
import { emitProgress } from "./progress.js";
import { sidecarForDownload, stageSidecar, type StagedSidecar } from "./sidecar-for-download.js";
import { syncDirectory, tempPathFor } from "./part-file.js";
import { streamToFile, type ByteSource } from "./stream-to-file.js";
import type { TransferClient } from "./transfer-client.js";
import { callOptions, type TransferSettings } from "./transfer-settings.js";
import { asLocalFileError } from "../util/as-local-file-error.js";

/** Read and check the `metadata.shard` of an artifact. */
export function shardInfoOf(artifact: Artifact): ShardInfo | undefined {
  const s = artifact.metadata["shard"] as Partial<ShardInfo> | undefined;
  if (typeof s !== "object" || s === null) return undefined;
  const ok =
    typeof s.group_id === "string" &&
    Number.isSafeInteger(s.index) &&
    Number.isSafeInteger(s.count) &&
    Number.isSafeInteger(s.layer_start) &&
    Number.isSafeInteger(s.layer_end);
  return ok ? (s as ShardInfo) : undefined;
}

/**
 * Download every shard of the group `first` belongs to (found by `metadata.shard.group_id` in the listing), verify
 * each, rebuild the original `.kv` from them and verify it against the group's SHA-256, then commit it and its
 * sidecar. Shard files live beside the destination under temporary names and are always removed.
 */
export async function downloadShardGroup(
  params: DownloadOptions & {
    client: TransferClient;
    first: Artifact;
    dest: string;
    publicAccess: boolean;
    settings: TransferSettings;
    maxResumes: number;
  },
): Promise<DownloadResult> {
  const { client, first, dest, signal, settings } = params;
  const info = shardInfoOf(first);
  if (info === undefined) throw new KvcdnError(`Artifact ${first.id} has malformed shard metadata`, { code: "bad_shard_metadata" });
  const members = new Map<number, Artifact>([[info.index, first]]);
  for await (const artifact of client.list(callOptions(settings, signal))) {
    const s = shardInfoOf(artifact);
    if (s?.group_id === info.group_id && s.count === info.count && !members.has(s.index)) members.set(s.index, artifact);
  }
  const shards: Array<{ artifact: Artifact; info: ShardInfo }> = [];
  for (let i = 0; i < info.count; i++) {
    const artifact = members.get(i);
    if (artifact === undefined) {
      throw new KvcdnError(`Shard ${i + 1} of ${info.count} of group ${info.group_id} is missing; cannot rebuild the cache`, { code: "shard_group_incomplete" });
    }
    shards.push({ artifact, info: shardInfoOf(artifact) as ShardInfo });
  }

  const shardFiles: string[] = [];
  const out = tempPathFor(dest);
  let staged: StagedSidecar | undefined;
  let committed = false;
  try {
    for (const { artifact } of shards) {
      throwIfAborted(signal);
      const { id } = artifact;
      const shardPath = `${tempPathFor(dest)}.shard`;
      shardFiles.push(shardPath);
      const publicUrl = artifact.public_url;
      let source: ByteSource;
      if (params.publicAccess && typeof publicUrl === "string") {
        source = { url: async () => publicUrl };
      } else {
        let current: string | undefined;
        source = {
          url: async (fresh) => {
            if (fresh || current === undefined) current = (await client.createDownloadUrl(id, callOptions(settings, signal))).download_url;
            return current;
          },
        };
      }
      const size = artifact.size_bytes;
      await streamToFile({
        source,
        dest: shardPath,
        expectedSha256: artifact.checksum ?? undefined,
        expectedSize: typeof size === "number" ? size : undefined,
        fetch: params.fetch,
        signal,
        onProgress: params.onProgress,
        artifactId: id,
        retry: settings.retry,
        maxResumes: params.maxResumes,
        transferTimeout: settings.transferTimeout,
      });
    }

    const handle = await open(out, "wx").catch((e: unknown) => {
      throw asLocalFileError(e, dest, "create a temporary file beside");
    });
    let merged: { sha256: string; sizeBytes: number };
    try {
      merged = await mergeKvShards({
        shards: shards.map(({ info: s }, i) => ({ file: shardFiles[i] as string, layerStart: s.layer_start })),
        out: handle,
        outPath: dest,
        signal,
        onProgress: params.onProgress,
      });
      const expected = params.sha256?.toLowerCase() ?? info.group_sha256;
      if (expected !== undefined && merged.sha256 !== expected) {
        throw new IntegrityError(`The rebuilt cache does not match: expected ${expected}, got ${merged.sha256}`, { expected, actual: merged.sha256 });
      }
      if (info.group_size_bytes !== undefined && merged.sizeBytes !== info.group_size_bytes) {
        throw new IntegrityError(`The rebuilt cache is ${merged.sizeBytes} bytes, expected ${info.group_size_bytes}`, { expected: expected ?? "", actual: merged.sha256 });
      }
      emitProgress(params.onProgress, { phase: "verifying", bytes: merged.sizeBytes, totalBytes: merged.sizeBytes, file: dest });
      await handle.sync();
    } finally {
      await handle.close().catch(() => undefined);
    }

    if (params.sidecar !== false) {
      const firstSidecar = shards[0]?.artifact.metadata["sidecar"];
      let groupSidecar: Record<string, unknown> | undefined;
      if (typeof firstSidecar === "object" && firstSidecar !== null) {
        const { shard: _shard, ...rest } = firstSidecar as Record<string, unknown>;
        groupSidecar = { ...rest, num_layers: info.group_num_layers ?? shards[shards.length - 1]?.info.layer_end };
      }
      const text = sidecarForDownload({ artifact: undefined, sidecar: groupSidecar, sha256: merged.sha256, sizeBytes: merged.sizeBytes });
      if (text !== undefined) staged = await stageSidecar(dest, text);
    }
    throwIfAborted(signal);
    await rename(out, dest).catch((e: unknown) => {
      throw asLocalFileError(e, dest, "move the download into");
    });
    committed = true;
    await staged?.commit();
    await syncDirectory(dirname(dest));
    return {
      id: first.id,
      path: dest,
      sizeBytes: merged.sizeBytes,
      sha256: merged.sha256,
      verified: true,
      ...(staged !== undefined ? { sidecarPath: staged.path } : {}),
    };
  } finally {
    await staged?.abort();
    if (!committed) await unlink(out).catch(() => undefined);
    for (const file of shardFiles) await unlink(file).catch(() => undefined);
  }
}
