import { randomUUID } from "node:crypto";
import { open } from "node:fs/promises";
import { FileTooLargeError } from "../errors/index.js";
import { prepareHeader } from "../kv/safetensors/prepare-header.js";
import { readSafetensorsHeader } from "../kv/safetensors/read-safetensors-header.js";
import type { SafetensorsTensorInfo } from "../kv/safetensors/types.js";
import { shardHeaderMetadata } from "./shard-identity.js";
import type { UploadBody } from "./upload-body.js";
import { asLocalFileError } from "../util/as-local-file-error.js";

/** One PUT may carry at most this much (S3's single-PUT limit, 5 GiB). */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/**
 * Where a shard sits in its group; stored in the shard's own header `__metadata__` (always), its sidecar and its
 * artifact's `metadata.shard` (where the service keeps it).
 * `layer_end` is exclusive. The `group_*` fields describe the original file, so a download can rebuild and verify it.
 */
export interface ShardInfo {
  group_id: string;
  index: number;
  count: number;
  layer_start: number;
  layer_end: number;
  /** SHA-256 of the whole original `.kv`. */
  group_sha256?: string;
  /** Size of the whole original `.kv`. */
  group_size_bytes?: number;
  /** Layers in the whole original `.kv`. */
  group_num_layers?: number;
}

/** One planned shard: a valid `.kv` made of its own header plus byte ranges of the source. */
export interface PlannedShard {
  index: number;
  layerStart: number;
  layerEnd: number;
  /** What the shard's header `__metadata__` records about its group. */
  info: ShardInfo;
  body: UploadBody;
}

/** How a `.kv` splits into shards of at most `maxPutBytes` each. */
export interface ShardPlan {
  groupId: string;
  numLayers: number;
  shards: PlannedShard[];
}

const LAYER_TENSOR = /^([kv])_(0|[1-9]\d*)(_q|_s)?$/;

/**
 * Plan the split of a `.kv` file by layer range into valid `.kv` shards of at most `maxPutBytes` bytes each. Each
 * shard renumbers its layers from 0 (`k_0…`, so any reader opens it) and is laid out like kvcdn-cli writes, plus a
 * `__metadata__` that makes it self-describing (group id, index, count, layer range, the whole file's SHA-256 and
 * size; the first shard also carries `sidecar`), since a service may keep nothing else (see shard-identity.ts). The
 * bytes come from the source file, so no temporary copy is made. Refuses (`FileTooLargeError`) a file that is not a
 * layer-per-tensor `.kv` in kvcdn-cli's canonical layout (its rebuild would not be byte-identical) or whose single
 * layer exceeds the limit.
 * @example const plan = await planKvShards({ file: "big.kv", maxPutBytes: 5 * 1024 ** 3 })
 */
export async function planKvShards(params: {
  file: string;
  maxPutBytes: number;
  groupId?: string;
  /** SHA-256 of the whole file, recorded in every shard so a rebuild can be verified end to end. */
  groupSha256?: string;
  /** The file's sidecar, recorded in the first shard so a download can restore it. */
  sidecar?: Record<string, unknown> | undefined;
}): Promise<ShardPlan> {
  const { file, maxPutBytes } = params;
  const groupId = params.groupId ?? randomUUID();
  const header = await readSafetensorsHeader(file).catch((e: unknown) => {
    throw asLocalFileError(e, file, "read");
  });
  const refuse = (why: string) =>
    new FileTooLargeError(`${file} (${header.fileSize} bytes) is over the ${maxPutBytes}-byte single-PUT limit and cannot be sharded: ${why}`, header.fileSize, maxPutBytes);
  if (header.metadata !== undefined) throw refuse("it has a __metadata__ header, so a rebuild would not be byte-identical");

  const layers: SafetensorsTensorInfo[][] = [];
  for (const info of header.tensors.values()) {
    const match = LAYER_TENSOR.exec(info.name);
    if (match === null) throw refuse(`tensor ${JSON.stringify(info.name)} does not belong to a layer`);
    const layer = Number(match[2]);
    (layers[layer] ??= []).push(info);
  }
  for (let i = 0; i < layers.length; i++) {
    const names = (layers[i] ?? []).map((t) => t.name[0]);
    if (!names.includes("k") || !names.includes("v")) throw refuse(`layer ${i} is missing its k or v tensor`);
  }

  // The rebuilt file must be byte-identical to the source, or the group checksum could never verify.
  const canonical = prepareHeader(header.tensors);
  const handle = await open(file, "r").catch((e: unknown) => {
    throw asLocalFileError(e, file, "open");
  });
  try {
    const actual = new Uint8Array(canonical.header.length);
    const { bytesRead } = await handle.read(actual, 0, actual.length, 0);
    if (bytesRead !== actual.length || Buffer.compare(actual, canonical.header) !== 0) {
      throw refuse("its header is not in kvcdn-cli's canonical layout");
    }
  } finally {
    await handle.close();
  }

  const shardTensors = (start: number, end: number) => {
    const map = new Map<string, SafetensorsTensorInfo & { sourceStart: number; sourceEnd: number }>();
    for (let layer = start; layer < end; layer++) {
      for (const info of layers[layer] ?? []) {
        const match = LAYER_TENSOR.exec(info.name) as RegExpExecArray;
        const name = `${match[1]}_${layer - start}${match[3] ?? ""}`;
        map.set(name, { ...info, name, sourceStart: header.dataOffset + info.dataOffsets[0], sourceEnd: header.dataOffset + info.dataOffsets[1] });
      }
    }
    return map;
  };
  const numLayers = layers.length;
  const infoOf = (index: number, count: number, start: number, end: number): ShardInfo => ({
    group_id: groupId,
    index,
    count,
    layer_start: start,
    layer_end: end,
    ...(params.groupSha256 !== undefined ? { group_sha256: params.groupSha256 } : {}),
    group_size_bytes: header.fileSize,
    group_num_layers: numLayers,
  });
  const metadataOf = (info: ShardInfo) => shardHeaderMetadata(info, info.index === 0 ? params.sidecar : undefined);
  // While planning the count is unknown: numLayers has at least as many digits, so the final header is no larger.
  const shardSize = (index: number, start: number, end: number) => {
    const prepared = prepareHeader(shardTensors(start, end), metadataOf(infoOf(index, numLayers, start, end)));
    return prepared.header.length + prepared.dataLength;
  };

  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < layers.length; ) {
    const index = ranges.length;
    if (shardSize(index, start, start + 1) > maxPutBytes) throw refuse(`layer ${start} alone is larger than the limit`);
    let end = start + 1;
    while (end < layers.length && shardSize(index, start, end + 1) <= maxPutBytes) end++;
    ranges.push([start, end]);
    start = end;
  }

  const shards = ranges.map(([layerStart, layerEnd], index): PlannedShard => {
    const info = infoOf(index, ranges.length, layerStart, layerEnd);
    const prepared = prepareHeader(shardTensors(layerStart, layerEnd), metadataOf(info));
    const segments: UploadBody["segments"] = [{ data: prepared.header }];
    for (const placed of prepared.placed) {
      const last = segments[segments.length - 1];
      if (last !== undefined && "file" in last && last.end === placed.tensor.sourceStart) last.end = placed.tensor.sourceEnd;
      else segments.push({ file, start: placed.tensor.sourceStart, end: placed.tensor.sourceEnd });
    }
    return { index, layerStart, layerEnd, info, body: { file, sizeBytes: prepared.header.length + prepared.dataLength, segments } };
  });
  return { groupId, numLayers, shards };
}
