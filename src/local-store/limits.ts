import type { components } from "../generated/schema.js";
import { FREE_PLAN_ARTIFACT_LIMIT } from "./constants.js";
import type { ArtifactRecord } from "./types.js";

/** Wire `Usage` (flat shape). */
export type WireUsage = components["schemas"]["Usage"];

/** The plan limits a store enforces per organization. */
export interface PlanLimits {
  /** null: no limit. */
  artifactLimit: number | null;
  /** null: no quota. */
  quotaBytes: number | null;
  maxPutBytes: number;
}

/** What an organization holds: confirmed bytes, bytes reserved by pending uploads, and artifacts of both kinds. */
export interface OrgUsage {
  usedBytes: number;
  reservedBytes: number;
  artifactCount: number;
}

/** Sum an organization's usage from its records (always exact: nothing is cached). */
export function orgUsage(records: Iterable<ArtifactRecord>, org: string): OrgUsage {
  const usage: OrgUsage = { usedBytes: 0, reservedBytes: 0, artifactCount: 0 };
  for (const r of records) {
    if (r.org_slug !== org) continue;
    usage.artifactCount += 1;
    if (r.status === "ready") usage.usedBytes += r.size_bytes;
    else usage.reservedBytes += r.size_bytes;
  }
  return usage;
}

/** The flat wire `Usage`: `used_bytes` counts confirmed (ready) artifacts; `artifact_count` counts pending ones too. */
export function toWireUsage(usage: OrgUsage, limits: PlanLimits): WireUsage {
  return {
    used_bytes: usage.usedBytes,
    quota_bytes: limits.quotaBytes,
    artifact_count: usage.artifactCount,
    artifact_limit: limits.artifactLimit,
    plan: limits.artifactLimit === FREE_PLAN_ARTIFACT_LIMIT ? "free" : "custom",
  };
}

/** Why a new upload of `sizeBytes` is refused, or undefined when it fits. */
export function refuseUpload(
  usage: OrgUsage,
  limits: PlanLimits,
  sizeBytes: number,
): { status: 403 | 413; error: string; message: string } | undefined {
  if (sizeBytes > limits.maxPutBytes) {
    return {
      status: 413,
      error: "payload_too_large",
      message: `size_bytes ${sizeBytes} is over the single-PUT limit of ${limits.maxPutBytes} bytes; split the cache into shards at the source`,
    };
  }
  if (limits.artifactLimit !== null && usage.artifactCount + 1 > limits.artifactLimit) {
    return {
      status: 403,
      error: "quota_exceeded",
      message: `The plan allows ${limits.artifactLimit} artifacts and the organization has ${usage.artifactCount}; delete some or upgrade`,
    };
  }
  if (limits.quotaBytes !== null && usage.usedBytes + usage.reservedBytes + sizeBytes > limits.quotaBytes) {
    return {
      status: 403,
      error: "quota_exceeded",
      message:
        `Storing ${sizeBytes} more bytes would exceed the storage quota of ${limits.quotaBytes} bytes ` +
        `(${usage.usedBytes} used, ${usage.reservedBytes} reserved by pending uploads)`,
    };
  }
  return undefined;
}
