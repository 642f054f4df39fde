import { open, rename, unlink } from "node:fs/promises";
import type { Artifact } from "../client/artifact.js";
import { formatSidecar, readSidecar, sidecarPath, type KvSidecar } from "../kv/sidecar.js";
import { tempPathFor } from "./part-file.js";
import { asLocalFileError } from "../util/as-local-file-error.js";

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

/** A sidecar written under a temporary name, waiting for its `.kv` to be committed. */
export interface StagedSidecar {
  path: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Write sidecar text to a temp file beside `<kvPath>.json` (fsynced), to rename once the `.kv` is in place. */
export async function stageSidecar(kvPath: string, text: string): Promise<StagedSidecar> {
  const path = sidecarPath(kvPath);
  const temp = tempPathFor(path);
  const handle = await open(temp, "wx").catch((e: unknown) => {
    throw asLocalFileError(e, path, "create a temporary file beside");
  });
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw asLocalFileError(e, path, "write");
  }
  await handle.close();
  let done = false;
  return {
    path,
    async commit() {
      done = true;
      await rename(temp, path).catch((e: unknown) => {
        throw asLocalFileError(e, path, "write");
      });
    },
    async abort() {
      if (done) return;
      done = true;
      await unlink(temp).catch(() => undefined);
    },
  };
}

/** Remove `<kvPath>.json` if it describes some other file (its `nbytes` or `sha256` disagree): a stale sidecar misleads readers. */
export async function removeStaleSidecar(kvPath: string, sha256: string, sizeBytes: number): Promise<void> {
  const existing: KvSidecar | undefined = await readSidecar(kvPath).catch(() => undefined);
  if (existing === undefined) return;
  if (existing.nbytes !== sizeBytes || (existing.sha256 !== undefined && existing.sha256 !== sha256)) {
    await unlink(sidecarPath(kvPath)).catch(() => undefined);
  }
}
