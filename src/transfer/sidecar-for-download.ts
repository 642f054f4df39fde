import type { Artifact } from "../client/artifact.js";
import { formatSidecar, type KvSidecar } from "../kv/sidecar.js";

/**
 * The sidecar to write beside a downloaded `.kv`: the one stored in the artifact's `metadata.sidecar` (with `sha256`
 * and `nbytes` of the file actually written), else one built from the artifact's own fields when they say enough.
 * Returns the formatted text, or undefined when there is nothing trustworthy to write.
 */
export function sidecarForDownload(params: {
  artifact: Artifact | undefined;
  sha256: string;
  sizeBytes: number;
  /** Replaces `metadata.sidecar` (e.g. a rebuilt group's sidecar). */
  sidecar?: Record<string, unknown> | undefined;
}): string | undefined {
  const { artifact } = params;
  const stored = params.sidecar ?? artifact?.metadata["sidecar"];
  const a = (artifact ?? {}) as Record<string, unknown>;
  let candidate: Record<string, unknown> | undefined;
  if (typeof stored === "object" && stored !== null && !Array.isArray(stored)) {
    candidate = { ...(stored as Record<string, unknown>), nbytes: params.sizeBytes, sha256: params.sha256 };
  } else if (typeof a.num_layers === "number" && typeof a.dtype === "string" && typeof a.num_tokens === "number") {
    candidate = {
      model_name: typeof a.model_name === "string" ? a.model_name : "unknown",
      num_layers: a.num_layers,
      num_tokens: a.num_tokens,
      dtype: a.dtype,
      storage_dtype: typeof a.storage_dtype === "string" ? a.storage_dtype : null,
      nbytes: params.sizeBytes,
      quantized: a.quantized === true,
      sha256: params.sha256,
    };
  }
  if (candidate === undefined) return undefined;
  try {
    return formatSidecar(candidate as KvSidecar);
  } catch {
    return undefined; // metadata written by some other tool: better no sidecar than a wrong one
  }
}
