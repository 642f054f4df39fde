import { isNotFoundError } from "../errors/not-found-error.js";
import type { TransferClient } from "./transfer-client.js";

/** How long a clean-up call (delete, list) may take; it runs even after the caller's signal fired. */
export const CLEANUP_TIMEOUT_MS = 30_000;

/**
 * Artifacts that uploads in this process are working on. Reconciliation never deletes one of these, so two
 * concurrent uploads of the same bytes cannot delete each other's artifact.
 */
const ACTIVE = new Map<string, number>();

/** Mark an artifact as in use by an upload of this process. */
export function trackArtifact(id: string): void {
  ACTIVE.set(id, (ACTIVE.get(id) ?? 0) + 1);
}

/** Release an artifact marked by {@link trackArtifact}. */
export function untrackArtifact(id: string): void {
  const n = (ACTIVE.get(id) ?? 0) - 1;
  if (n > 0) ACTIVE.set(id, n);
  else ACTIVE.delete(id);
}

/**
 * Delete an artifact an upload no longer wants (a pending orphan), with its own timeout so it runs even after an
 * abort. Returns false when it could not be deleted (the error is not thrown: it must not hide the upload's own).
 */
export async function discardArtifact(client: TransferClient, id: string): Promise<boolean> {
  try {
    await deleteIfPresent(client, id, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
    return true;
  } catch {
    return false;
  } finally {
    untrackArtifact(id);
  }
}

/** Slack for clock skew between us and the service when comparing `created_at` with our own clock. */
export const RECONCILE_SKEW_MS = 120_000;

/**
 * After upload-url failed with an unknown outcome (5xx, dropped connection, timeout) and was retried, delete the
 * artifacts those attempts may have created: the pending (or status-less) ones with the same checksum and size,
 * created since the first attempt, other than `keep` and other than any an upload of this process is using.
 * Best effort: a failure to list or delete is swallowed.
 */
export async function reconcileUploads(params: {
  client: TransferClient;
  sha256: string;
  sizeBytes: number;
  since: number;
  keep: string | undefined;
}): Promise<string[]> {
  const deleted: string[] = [];
  const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
  try {
    const candidates: string[] = [];
    for await (const artifact of params.client.list({ scope: "org", signal })) {
      const { id } = artifact;
      if (id === params.keep || ACTIVE.has(id)) continue;
      if (artifact.status === "ready") continue;
      if (artifact.checksum !== params.sha256 || artifact.size_bytes !== params.sizeBytes) continue;
      const created = artifact.created_at === null ? Number.NaN : Date.parse(artifact.created_at);
      if (Number.isNaN(created) || created < params.since - RECONCILE_SKEW_MS) continue;
      candidates.push(id);
    }
    for (const id of candidates) {
      try {
        await deleteIfPresent(params.client, id, signal);
        deleted.push(id);
      } catch {
        // best effort
      }
    }
  } catch {
    // best effort: listing failed
  }
  return deleted;
}

/** Delete an artifact; "already gone" (404) counts as success. */
async function deleteIfPresent(client: TransferClient, id: string, signal: AbortSignal): Promise<void> {
  try {
    await client.delete(id, { signal });
  } catch (e) {
    if (!isNotFoundError(e)) throw e;
  }
}
