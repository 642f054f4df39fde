import type { Artifact } from "../client/artifact.js";
import { FileTooLargeError, isShardGroupError, ShardGroupError } from "../errors/index.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { buildUploadRequest } from "./build-upload-request.js";
import { findShardGroup } from "./find-shard-group.js";
import { discardArtifact } from "./orphans.js";
import { MAX_SINGLE_PUT_BYTES, planKvShards, type ShardInfo } from "./plan-kv-shards.js";
import { HASH_CHUNK_BYTES } from "../util/sha256-file.js";
import { readUploadFacts } from "./read-upload-facts.js";
import { groupTag, parseShardName, shardHintOf } from "./shard-identity.js";
import type { TransferClient } from "./transfer-client.js";
import { resolveTransferSettings } from "./transfer-settings.js";
import { hashBody, stampFile, wholeFileBody } from "./upload-body.js";
import { uploadBodyToArtifact, type UploadPolicy } from "./upload-body-to-artifact.js";
import type { UploadOptions } from "./upload-options.js";

/**
 * A file uploaded as layer-range shards. Its {@link Artifact} fields describe the whole cache (`size_bytes` and
 * `checksum` of the original file, all its layers), not one shard; `id` is the first shard's id, and downloading it
 * (or any shard's id) rebuilds the whole cache. Tell it apart with {@link isShardGroup}.
 */
export interface UploadedShardGroup extends Artifact {
  kind: "shard_group";
  /** The group id every shard records (in its `.kv` header, name and `metadata.shard`). */
  group_id: string;
  /** Every shard's artifact, in layer order, as the service listed it after the upload. */
  shards: Artifact[];
}

/** What an upload returns: the artifact, or the shard group of a file over the single-PUT limit. */
export type UploadedArtifact = Artifact | UploadedShardGroup;

/**
 * True when an upload was split into a shard group.
 * @example const up = await client.upload("big.kv"); if (isShardGroup(up)) console.log(up.shards.length, "shards")
 */
export const isShardGroup = (uploaded: UploadedArtifact): uploaded is UploadedShardGroup => (uploaded as { kind?: unknown }).kind === "shard_group";

/**
 * Upload a `.kv` file and confirm it: metadata from its sidecar (or header), one streaming SHA-256 pass, a presigned
 * PUT streamed from disk with exact `Content-Length` and no credentials, then confirm-upload. Recovers from expired or
 * refused URLs, dropped connections, busy storage and checksum mismatches within the given bounds, and deletes every
 * artifact it created that did not end up ready: success leaves one ready artifact (one per shard), failure none.
 * Files over `maxPutBytes` are split into valid, self-describing `.kv` shards by layer range and uploaded as a group,
 * which is then looked up again through the service's listing; the result is the group ({@link UploadedShardGroup}).
 * @example const artifact = await uploadArtifact({ client, file: "ctx.kv", name: "Qwen system prompt", onProgress: console.log })
 */
export async function uploadArtifact(params: UploadOptions & { client: TransferClient; file: string }): Promise<UploadedArtifact> {
  const { client, file, signal, onProgress } = params;
  throwIfAborted(signal);
  const policy = uploadPolicy(client, params);
  const stamp = await stampFile(file);
  const { facts, sidecar } = await readUploadFacts(file);
  const maxPutBytes = params.maxPutBytes ?? MAX_SINGLE_PUT_BYTES;
  const common = {
    file,
    facts,
    name: params.name,
    description: params.description,
    visibility: params.visibility,
    model: params.model,
    metadata: params.metadata,
  };

  if (stamp.size <= maxPutBytes) {
    const body = wholeFileBody(file, stamp.size);
    const sha256 = await hashBody(body, { chunkBytes: HASH_CHUNK_BYTES, signal, onProgress });
    const request = buildUploadRequest({ ...common, sidecar, sha256, sizeBytes: stamp.size });
    return uploadBodyToArtifact({ client, body, request, stamp, policy, fetch: params.fetch ?? client.fetch, signal, onProgress });
  }

  if (params.sharding === false) {
    throw new FileTooLargeError(
      `${file} is ${stamp.size} bytes, over the ${maxPutBytes}-byte single-PUT limit; enable sharding or quantize it`,
      stamp.size,
      maxPutBytes,
    );
  }
  // The whole file's hash lets a download verify the rebuilt file end to end (a second pass, only for sharded files);
  // every shard records it in its own header, so the rebuild does not depend on what the service keeps.
  const groupSha256 = await hashBody(wholeFileBody(file, stamp.size), { chunkBytes: HASH_CHUNK_BYTES, signal, onProgress });
  const plan = await planKvShards({ file, maxPutBytes, groupSha256, sidecar: sidecar ?? undefined });
  const uploaded: Artifact[] = [];
  try {
    for (const shard of plan.shards) {
      throwIfAborted(signal);
      const info: ShardInfo = shard.info;
      const sha256 = await hashBody(shard.body, { chunkBytes: HASH_CHUNK_BYTES, signal, onProgress });
      const shardFacts = { ...facts, num_layers: shard.layerEnd - shard.layerStart };
      const shardSidecar = {
        ...(sidecar ?? { ...facts }),
        num_layers: shardFacts.num_layers,
        nbytes: shard.body.sizeBytes,
        sha256,
        shard: info,
      };
      const request = buildUploadRequest({ ...common, facts: shardFacts, sidecar: shardSidecar, sha256, sizeBytes: shard.body.sizeBytes, shard: info });
      uploaded.push(
        await uploadBodyToArtifact({ client, body: shard.body, request, stamp, policy, fetch: params.fetch ?? client.fetch, signal, onProgress }),
      );
    }
    // Check the group can be found again through the service as it answered (it may have dropped metadata, or
    // renamed): a group nobody can list whole is a cache nobody can download.
    const hint = shardHintOf(uploaded[0]) ?? { index: 0, count: plan.shards.length, groupTag: groupTag(plan.groupId) };
    const found = await findShardGroup({ client, hint, signal }).catch((e: unknown) => {
      if (isShardGroupError(e)) {
        throw new ShardGroupError(`The shards of ${file} were uploaded, but the service's artifact list does not show the group whole: ${e.message}`, {
          code: "shard_group_unfindable",
          groupId: plan.groupId,
          count: plan.shards.length,
          missing: e.missing,
          cause: e,
        });
      }
      throw e;
    });
    const wrong = found.members.findIndex((a, i) => a.id !== uploaded[i]?.id);
    if (wrong >= 0) {
      throw new ShardGroupError(`Shard ${wrong + 1} of ${file} is listed as ${found.members[wrong]?.id}, not the uploaded ${uploaded[wrong]?.id}`, {
        code: "shard_group_unfindable",
        groupId: plan.groupId,
        count: plan.shards.length,
        missing: [wrong + 1],
      });
    }
    const first = uploaded[0] as Artifact;
    return {
      ...first,
      name: parseShardName(first.name)?.label ?? first.name,
      num_layers: plan.numLayers,
      size_bytes: stamp.size,
      checksum: groupSha256,
      public_url: null,
      metadata: {},
      kind: "shard_group",
      group_id: plan.groupId,
      shards: found.members,
    };
  } catch (e) {
    // A partial (or unfindable) group is useless: remove the shards already confirmed.
    for (const artifact of uploaded) await discardArtifact(client, artifact.id);
    throw e;
  }
}

/** The resolved policy of an upload: its options over the client's settings. */
export function uploadPolicy(client: TransferClient, options: UploadOptions): UploadPolicy {
  return {
    ...resolveTransferSettings(client, options),
    maxUrlRefreshes: Math.max(0, options.maxUrlRefreshes ?? 3),
    maxReuploads: Math.max(0, options.maxReuploads ?? 2),
    presignedTtlMs: options.presignedTtlMs ?? 300_000,
    urlSafetyMarginMs: options.urlSafetyMarginMs ?? 15_000,
  };
}
