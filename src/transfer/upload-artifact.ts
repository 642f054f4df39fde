import type { Artifact } from "../client/artifact.js";
import { FileTooLargeError } from "../errors/index.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { buildUploadRequest } from "./build-upload-request.js";
import { discardArtifact } from "./orphans.js";
import { MAX_SINGLE_PUT_BYTES, planKvShards, type ShardInfo } from "./plan-kv-shards.js";
import { HASH_CHUNK_BYTES } from "../util/sha256-file.js";
import { readUploadFacts } from "./read-upload-facts.js";
import type { TransferClient } from "./transfer-client.js";
import { resolveTransferSettings } from "./transfer-settings.js";
import { hashBody, stampFile, wholeFileBody } from "./upload-body.js";
import { uploadBodyToArtifact, type UploadPolicy } from "./upload-body-to-artifact.js";
import type { UploadOptions } from "./upload-options.js";

/** An uploaded artifact; for a file sharded by layer range, the first shard with every shard in `shards`. */
export type UploadedArtifact = Artifact & {
  /** Present when the file was split: every shard's artifact, in layer order (`shards[0]` is this one). */
  shards?: Artifact[];
};

/**
 * Upload a `.kv` file and confirm it: metadata from its sidecar (or header), one streaming SHA-256 pass, a presigned
 * PUT streamed from disk with exact `Content-Length` and no credentials, then confirm-upload. Recovers from expired or
 * refused URLs, dropped connections, busy storage and checksum mismatches within the given bounds, and deletes every
 * artifact it created that did not end up ready: success leaves one ready artifact (one per shard), failure none.
 * Files over `maxPutBytes` are split into valid `.kv` shards by layer range and uploaded as a group.
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
  const plan = await planKvShards({ file, maxPutBytes });
  // The whole file's hash lets a download verify the rebuilt file end to end (a second pass, only for sharded files).
  const groupSha256 = await hashBody(wholeFileBody(file, stamp.size), { chunkBytes: HASH_CHUNK_BYTES, signal, onProgress });
  const uploaded: Artifact[] = [];
  try {
    for (const shard of plan.shards) {
      throwIfAborted(signal);
      const info: ShardInfo = {
        group_id: plan.groupId,
        index: shard.index,
        count: plan.shards.length,
        layer_start: shard.layerStart,
        layer_end: shard.layerEnd,
        group_sha256: groupSha256,
        group_size_bytes: stamp.size,
        group_num_layers: plan.numLayers,
      };
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
  } catch (e) {
    // A partial group is useless: remove the shards already confirmed.
    for (const artifact of uploaded) await discardArtifact(client, artifact.id);
    throw e;
  }
  const first = uploaded[0] as Artifact;
  return { ...first, shards: uploaded };
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
