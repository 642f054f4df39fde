/**
 * Storage usage and limits of the caller's organization, in the flat shape kvcdn prints (`kvcdn usage --json`).
 * Wire names (snake_case) as the API's `/api/v1/usage`. A limit is null when the service does not state one. It lives
 * with the errors because a `QuotaExceededError` carries it: errors depend on nothing else in kvcdn.
 */
export interface Usage {
  /** Bytes stored (the deployed service counts declared sizes, unconfirmed uploads included). */
  used_bytes: number;
  /** Storage quota in bytes, or null when unknown. */
  quota_bytes: number | null;
  /** Number of artifacts, or null when unknown. */
  artifact_count: number | null;
  /** The plan's artifact limit (free plan: 20), or null when unknown. */
  artifact_limit: number | null;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * Map any usage shape the service returns to {@link Usage}: the flat `{used_bytes, quota_bytes, artifact_count,
 * artifact_limit}` of `/api/v1/usage`, or the deployed `/api/v1/quota` `{customer_id, quota: {artifacts,
 * storage_bytes, …}, used: {…}}` (docs/service-contract.md#quota-and-usage); flat fields win where both are
 * present.
 * Returns undefined when the body holds no usage figure at all.
 * @example normalizeUsage({ quota: { artifacts: 20, storage_bytes: 1e12 }, used: { artifacts: 3, storage_bytes: 42 } })
 * // → { used_bytes: 42, quota_bytes: 1e12, artifact_count: 3, artifact_limit: 20 }
 */
export function normalizeUsage(body: unknown): Usage | undefined {
  const flat = obj(body);
  if (flat === undefined) return undefined;
  const quota = obj(flat["quota"]);
  const used = obj(flat["used"]);
  const usedBytes = num(flat["used_bytes"]) ?? num(used?.["storage_bytes"]);
  const result: Usage = {
    used_bytes: usedBytes ?? 0,
    quota_bytes: num(flat["quota_bytes"]) ?? num(quota?.["storage_bytes"]),
    artifact_count: num(flat["artifact_count"]) ?? num(used?.["artifacts"]),
    artifact_limit: num(flat["artifact_limit"]) ?? num(quota?.["artifacts"]),
  };
  if (usedBytes === null && result.quota_bytes === null && result.artifact_count === null && result.artifact_limit === null) {
    return undefined;
  }
  return result;
}
