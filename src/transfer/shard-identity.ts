import type { Artifact } from "../client/artifact.js";
import type { ShardInfo } from "./plan-kv-shards.js";

/**
 * How a shard says which group it belongs to, in the two places every service keeps: the shard `.kv`'s own
 * safetensors `__metadata__` (string → string, ignored by `.kv` readers) and the artifact's display name. The
 * artifact's `metadata.shard` says the same where the service keeps `metadata`; the deployed service drops it
 * (see docs/service-contract.md#upload-url), so nothing here depends on it.
 */

/** Prefix of the shard keys in a shard's `__metadata__`. */
export const SHARD_METADATA_PREFIX = "kvcdn.shard.";
/** `__metadata__` key holding the original cache's sidecar (JSON text), on the first shard only. */
export const SHARD_SIDECAR_KEY = "kvcdn.sidecar";

/** Characters of the group id a shard's artifact name carries (the full id is in the shard's header). */
export const GROUP_TAG_CHARS = 8;

/** Longest artifact name the service accepts. */
const MAX_NAME_CHARS = 256;

const NAME_SUFFIX = / \[shard (\d+)\/(\d+) of ([0-9a-f]{8})\]$/;

/** What an artifact's name tells about its group: enough to find the siblings in a listing. */
export interface ShardNameInfo {
  /** 0-based index in the group. */
  index: number;
  count: number;
  /** The first {@link GROUP_TAG_CHARS} hex digits of the group id. */
  groupTag: string;
  /** The label before the suffix. */
  label: string;
}

/** The first hex digits of a group id (dashes removed), as names carry them. */
export function groupTag(groupId: string): string {
  return groupId.replace(/-/g, "").toLowerCase().slice(0, GROUP_TAG_CHARS);
}

/**
 * The artifact name of a shard: `<label> [shard i/n of <tag>]`, the label shortened so the whole fits the service's
 * 256-character limit.
 * @example shardArtifactName("big context", info) // "big context [shard 2/3 of 5f0c2a1e]"
 */
export function shardArtifactName(label: string, info: Pick<ShardInfo, "group_id" | "index" | "count">): string {
  const suffix = ` [shard ${info.index + 1}/${info.count} of ${groupTag(info.group_id)}]`;
  return `${[...label].slice(0, MAX_NAME_CHARS - suffix.length).join("")}${suffix}`;
}

/** Parse a name made by {@link shardArtifactName}; undefined for any other name. */
export function parseShardName(name: string | null | undefined): ShardNameInfo | undefined {
  const match = NAME_SUFFIX.exec(name ?? "");
  if (match === null) return undefined;
  const index = Number(match[1]) - 1;
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 2 || index < 0 || index >= count) return undefined;
  return { index, count, groupTag: match[3] as string, label: (name as string).slice(0, match.index) };
}

/** The `__metadata__` entries that make a shard `.kv` self-describing. */
export function shardHeaderMetadata(info: ShardInfo, sidecar?: Record<string, unknown>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(info)) if (v !== undefined) meta[`${SHARD_METADATA_PREFIX}${k}`] = String(v);
  if (sidecar !== undefined) meta[SHARD_SIDECAR_KEY] = JSON.stringify(sidecar);
  return meta;
}

/** Read the shard facts back from a `.kv` header's `__metadata__`; undefined when it is not a complete kvcdn shard. */
export function shardInfoFromHeader(metadata: Readonly<Record<string, string>> | undefined): ShardInfo | undefined {
  if (metadata === undefined) return undefined;
  const get = (k: string) => metadata[`${SHARD_METADATA_PREFIX}${k}`];
  const int = (k: string) => {
    const v = get(k);
    return v !== undefined && /^(0|[1-9]\d*)$/.test(v) ? Number(v) : undefined;
  };
  const groupId = get("group_id");
  const info = { index: int("index"), count: int("count"), layer_start: int("layer_start"), layer_end: int("layer_end") };
  if (groupId === undefined || Object.values(info).some((v) => v === undefined || !Number.isSafeInteger(v))) return undefined;
  const sha = get("group_sha256");
  return {
    group_id: groupId,
    ...(info as { index: number; count: number; layer_start: number; layer_end: number }),
    ...(sha !== undefined && /^[0-9a-f]{64}$/.test(sha) ? { group_sha256: sha } : {}),
    ...(int("group_size_bytes") !== undefined ? { group_size_bytes: int("group_size_bytes") as number } : {}),
    ...(int("group_num_layers") !== undefined ? { group_num_layers: int("group_num_layers") as number } : {}),
  };
}

/** The original sidecar a first shard carries in its header, if any. */
export function sidecarFromHeader(metadata: Readonly<Record<string, string>> | undefined): Record<string, unknown> | undefined {
  const text = metadata?.[SHARD_SIDECAR_KEY];
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Read and check the `metadata.shard` of an artifact (only where the service kept `metadata`). */
export function shardInfoOf(artifact: Artifact | undefined): ShardInfo | undefined {
  const s = (artifact?.metadata ?? {}).shard as Partial<ShardInfo> | undefined;
  if (typeof s !== "object" || s === null) return undefined;
  const ok =
    typeof s.group_id === "string" &&
    Number.isSafeInteger(s.index) &&
    Number.isSafeInteger(s.count) &&
    Number.isSafeInteger(s.layer_start) &&
    Number.isSafeInteger(s.layer_end);
  return ok ? (s as ShardInfo) : undefined;
}

/** Where an artifact sits in a shard group, from whichever the service kept: `metadata.shard`, else the name. */
export interface ShardHint {
  index: number;
  count: number;
  groupTag: string;
  /** The full group id, when `metadata.shard` was kept. */
  groupId?: string;
}

/** The {@link ShardHint} of an artifact, or undefined when nothing marks it as a shard. */
export function shardHintOf(artifact: Artifact | undefined): ShardHint | undefined {
  const info = shardInfoOf(artifact);
  if (info !== undefined) return { index: info.index, count: info.count, groupTag: groupTag(info.group_id), groupId: info.group_id };
  const named = parseShardName(artifact?.name);
  return named === undefined ? undefined : { index: named.index, count: named.count, groupTag: named.groupTag };
}

/** Whether `artifact` looks like a member of the group `hint` describes (same group and count). */
export function isShardOf(artifact: Artifact, hint: ShardHint): boolean {
  const other = shardHintOf(artifact);
  if (other === undefined || other.count !== hint.count || other.groupTag !== hint.groupTag) return false;
  return hint.groupId === undefined || other.groupId === undefined || other.groupId === hint.groupId;
}
