import { unlink } from "node:fs/promises";
import type { Artifact } from "../client/artifact.js";
import type { CallOptions } from "../client/client-options.js";
import { IntegrityError, ShardGroupError } from "../errors/index.js";
import { atomicTempPath, createAtomicFile, type AtomicFile } from "../kv/fs/atomic-file.js";
import { commitKvPair } from "../kv/fs/commit-kv-pair.js";
import { readSafetensorsHeader } from "../kv/safetensors/read-safetensors-header.js";
import type { SafetensorsHeader } from "../kv/safetensors/types.js";
import { sidecarPath } from "../kv/sidecar.js";
import { asLocalFileError } from "../util/as-local-file-error.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import type { DownloadOptions, DownloadResult } from "./download-options.js";
import { findShardGroup } from "./find-shard-group.js";
import { mergeKvShards } from "./merge-kv-shards.js";
import type { ShardInfo } from "./plan-kv-shards.js";
import { emitProgress } from "./progress.js";
import { groupTag, shardInfoFromHeader, shardInfoOf, sidecarFromHeader, type ShardHint } from "./shard-identity.js";
import { sidecarForDownload } from "./sidecar-for-download.js";
import { streamToFile, type ByteSource } from "./stream-to-file.js";
import type { TransferClient } from "./transfer-client.js";
import { callOptions, type TransferSettings } from "./transfer-settings.js";

/**
 * Download every shard of the group `hint` describes (found by listing: `metadata.shard` where the service kept it,
 * else the name suffix), verify each against its checksum, check from each shard's own header that they form one
 * group in order, rebuild the original `.kv` and verify it against the group's SHA-256, then commit it and its
 * sidecar as a pair. A group the listing does not show whole fails with a {@link ShardGroupError} naming the missing
 * shards: one layer range is never written as if it were the cache. Shard files live beside the destination under
 * temporary names and are always removed.
 */
export async function downloadShardGroup(
  params: DownloadOptions & {
    client: TransferClient;
    hint: ShardHint;
    /** Artifacts already known to belong to the group (e.g. the one asked for). */
    known: Artifact[];
    dest: string;
    publicAccess: boolean;
    settings: TransferSettings;
    maxResumes: number;
  },
): Promise<DownloadResult> {
  const { client, dest, signal, hint, settings } = params;
  const { members } = await findShardGroup({ client, hint, known: params.known, signal, settings });

  const shardFiles: string[] = [];
  const files: AtomicFile[] = [];
  try {
    const headers: SafetensorsHeader[] = [];
    for (const artifact of members) {
      throwIfAborted(signal);
      const shardPath = `${atomicTempPath(dest)}.shard`;
      shardFiles.push(shardPath);
      await streamToFile({
        source: shardSource(client, artifact, params.publicAccess, callOptions(settings, signal)),
        dest: shardPath,
        expectedSha256: artifact.checksum ?? undefined,
        expectedSize: typeof artifact.size_bytes === "number" ? artifact.size_bytes : undefined,
        fetch: params.fetch,
        signal,
        onProgress: params.onProgress,
        artifactId: artifact.id,
        retry: settings.retry,
        maxResumes: params.maxResumes,
        transferTimeout: settings.transferTimeout,
      });
      headers.push(
        await readSafetensorsHeader(shardPath).catch((e: unknown) => {
          throw asLocalFileError(e, shardPath, "read");
        }),
      );
    }
    const infos = checkGroup(hint, members, headers);
    const info = infos[0] as ShardInfo;

    const kvFile = await createAtomicFile(dest, signal);
    files.push(kvFile);
    const merged = await mergeKvShards({
      shards: infos.map((s, i) => ({ file: shardFiles[i] as string, layerStart: s.layer_start })),
      out: kvFile.handle,
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
    await kvFile.finish();

    let sidecarFile: AtomicFile | undefined;
    if (params.sidecar !== false) {
      // The service's copy of the sidecar where it kept metadata, else the one the first shard carries in its header.
      const stored = members[0]?.metadata["sidecar"];
      const original = typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : sidecarFromHeader(headers[0]?.metadata);
      let groupSidecar: Record<string, unknown> | undefined;
      if (original !== undefined) {
        const { shard: _shard, ...rest } = original;
        groupSidecar = { ...rest, num_layers: info.group_num_layers ?? infos[infos.length - 1]?.layer_end };
      }
      const text = sidecarForDownload({ artifact: undefined, sidecar: groupSidecar, sha256: merged.sha256, sizeBytes: merged.sizeBytes });
      if (text !== undefined) {
        sidecarFile = await createAtomicFile(sidecarPath(dest), signal);
        files.push(sidecarFile);
        await sidecarFile.write(Buffer.from(text, "utf8"));
        await sidecarFile.finish();
      }
    }
    throwIfAborted(signal);
    await commitKvPair({ kv: kvFile, sidecar: sidecarFile, sidecarPath: sidecarPath(dest) });
    return {
      id: (params.known[0] ?? members[0])?.id as string,
      path: dest,
      sizeBytes: merged.sizeBytes,
      sha256: merged.sha256,
      verified: expected !== undefined,
      ...(sidecarFile !== undefined ? { sidecarPath: sidecarFile.path } : {}),
    };
  } finally {
    for (const f of files) await f.abort();
    for (const file of shardFiles) await unlink(file).catch(() => undefined);
  }
}

/** Where one shard's bytes come from: its public URL when downloading publicly, else a (renewable) download URL. */
function shardSource(client: TransferClient, artifact: Artifact, publicAccess: boolean, call: CallOptions): ByteSource {
  const publicUrl = artifact.public_url;
  if (publicAccess && typeof publicUrl === "string") return { url: async () => publicUrl };
  let current: string | undefined;
  return {
    url: async (fresh) => {
      if (fresh || current === undefined) current = (await client.createDownloadUrl(artifact.id, call)).download_url;
      return current;
    },
  };
}

/**
 * Each shard's own facts (its header `__metadata__`; for groups uploaded before shards carried one, the artifact's
 * `metadata.shard`), checked to form one group: one group id matching the listing, indexes 0…n−1, contiguous layers.
 */
function checkGroup(hint: ShardHint, members: Artifact[], headers: SafetensorsHeader[]): ShardInfo[] {
  const group = hint.groupId ?? hint.groupTag;
  const mismatch = (i: number, why: string) =>
    new ShardGroupError(`Shard ${i + 1} of ${hint.count} of group ${group} (${members[i]?.id}) ${why}`, { code: "shard_mismatch", groupId: group, count: hint.count });
  const infos: ShardInfo[] = [];
  for (const [i, artifact] of members.entries()) {
    const info = shardInfoFromHeader(headers[i]?.metadata) ?? shardInfoOf(artifact);
    if (info === undefined) throw mismatch(i, "does not describe itself as a shard");
    if (groupTag(info.group_id) !== hint.groupTag || (hint.groupId !== undefined && info.group_id !== hint.groupId)) {
      throw mismatch(i, `belongs to group ${info.group_id}`);
    }
    if (infos[0] !== undefined && info.group_id !== infos[0].group_id) throw mismatch(i, `belongs to group ${info.group_id}, not ${infos[0].group_id}`);
    if (info.index !== i || info.count !== hint.count) throw mismatch(i, `says it is shard ${info.index + 1} of ${info.count}`);
    const start = i === 0 ? 0 : (infos[i - 1] as ShardInfo).layer_end;
    if (info.layer_start !== start || info.layer_end <= info.layer_start) throw mismatch(i, `holds layers ${info.layer_start}–${info.layer_end}, expected to start at ${start}`);
    infos.push(info);
  }
  const last = infos[infos.length - 1] as ShardInfo;
  const total = infos[0]?.group_num_layers;
  if (total !== undefined && last.layer_end !== total) throw mismatch(infos.length - 1, `ends at layer ${last.layer_end} of ${total}`);
  return infos;
}
