import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** What went wrong with a shard group. */
export type ShardGroupErrorCode =
  /** Some shards of the group are not in the listing (deleted, another organization's, or never uploaded). */
  | "shard_group_incomplete"
  /** Right after a sharded upload, the service's listing does not show every shard as uploaded. */
  | "shard_group_unfindable"
  /** Two artifacts claim the same place in the group. */
  | "shard_group_ambiguous"
  /** A downloaded shard's own header does not say what its listing entry said. */
  | "shard_mismatch";

/** Options of {@link ShardGroupError}. */
export interface ShardGroupErrorOptions extends KvcdnErrorOptions {
  code: ShardGroupErrorCode;
  /** The group id (or the 8 hex digits of it an artifact name carries). */
  groupId: string;
  /** Shards in the group. */
  count: number;
  /** 1-based numbers of the shards that could not be found. @default [] */
  missing?: number[];
}

/**
 * A cache uploaded as layer-range shards cannot be rebuilt (or, after an upload, found again) as a whole: kvcdn
 * never hands back one layer range as if it were the cache. `missing` names the shards (1-based) that are absent.
 * @example catch (e) { if (isShardGroupError(e)) console.error(`missing shards ${e.missing.join(", ")} of ${e.count}`) }
 */
export class ShardGroupError extends KvcdnError {
  override name = "ShardGroupError";
  override readonly code: ShardGroupErrorCode;
  /** The group id, or the part of it an artifact name carries. */
  readonly groupId: string;
  /** Shards in the group. */
  readonly count: number;
  /** 1-based numbers of the missing shards. */
  readonly missing: number[];

  constructor(message: string, options: ShardGroupErrorOptions) {
    super(message, options);
    this.code = options.code;
    this.groupId = options.groupId;
    this.count = options.count;
    this.missing = options.missing ?? [];
  }
}

/** True for a {@link ShardGroupError}, across package copies and realms. */
export const isShardGroupError = errorGuard<ShardGroupError>("ShardGroupError");
