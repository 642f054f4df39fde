import type { Artifact } from "../client/artifact.js";
import { ShardGroupError } from "../errors/index.js";
import { isShardOf, shardHintOf, type ShardHint } from "./shard-identity.js";
import type { TransferClient } from "./transfer-client.js";
import { callOptions, type TransferSettings } from "./transfer-settings.js";

/** The members of a shard group as a listing shows them: one artifact per index, in layer order. */
export interface FoundShardGroup {
  hint: ShardHint;
  /** `members[i]` is shard `i` (0-based). */
  members: Artifact[];
}

/**
 * Find every shard of the group `hint` describes by listing the caller's artifacts (all pages), matching
 * `metadata.shard` where the service kept it and the name suffix otherwise. Throws a {@link ShardGroupError}
 * naming the missing shards (`shard_group_incomplete`), or when two artifacts claim one index
 * (`shard_group_ambiguous`). `known` artifacts (e.g. the one the caller started from) count as found.
 * @example const { members } = await findShardGroup({ client, hint: shardHintOf(artifact)! })
 */
export async function findShardGroup(params: {
  client: TransferClient;
  hint: ShardHint;
  known?: Artifact[];
  signal?: AbortSignal | undefined;
  /** The transfer's retry and timeout for the listing. @default the client's */
  settings?: TransferSettings | undefined;
}): Promise<FoundShardGroup> {
  const { hint } = params;
  const byIndex = new Map<number, Artifact[]>();
  const add = (a: Artifact, index: number) => {
    const list = byIndex.get(index) ?? [];
    if (!list.some((x) => x.id === a.id)) list.push(a);
    byIndex.set(index, list);
  };
  for (const a of params.known ?? []) {
    const own = shardHintOf(a);
    if (own !== undefined) add(a, own.index);
  }
  const call = params.settings === undefined ? { signal: params.signal } : callOptions(params.settings, params.signal);
  for await (const artifact of params.client.list(call)) {
    const own = shardHintOf(artifact);
    if (own !== undefined && isShardOf(artifact, hint)) add(artifact, own.index);
  }
  const group = hint.groupId ?? hint.groupTag;
  const members: Artifact[] = [];
  const missing: number[] = [];
  for (let i = 0; i < hint.count; i++) {
    const found = byIndex.get(i) ?? [];
    if (found.length > 1) {
      throw new ShardGroupError(`Shard ${i + 1} of ${hint.count} of group ${group} is claimed by ${found.length} artifacts (${found.map((a) => a.id).join(", ")})`, {
        code: "shard_group_ambiguous",
        groupId: group,
        count: hint.count,
      });
    }
    if (found[0] === undefined) missing.push(i + 1);
    else members.push(found[0]);
  }
  if (missing.length > 0) {
    throw new ShardGroupError(
      `Cannot rebuild the cache of group ${group}: shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${hint.count} ${missing.length > 1 ? "are" : "is"} missing from the artifact list`,
      { code: "shard_group_incomplete", groupId: group, count: hint.count, missing },
    );
  }
  return { hint, members };
}
