import { readKvMetadata } from "../kv/read-kv-metadata.js";
import { readSidecar } from "../kv/sidecar.js";
import type { KvFacts } from "./build-upload-request.js";
import { asLocalFileError } from "../util/as-local-file-error.js";

/**
 * What an upload declares about a `.kv`: the facts from its sidecar, or from its header when there is none
 * (kvcdn-cli's fallback: `model_name "unknown"`), and the sidecar itself (kept in the artifact's metadata).
 */
export async function readUploadFacts(file: string): Promise<{ facts: KvFacts; sidecar: Record<string, unknown> | undefined }> {
  const sidecar = await readSidecar(file).catch((e: unknown) => {
    throw asLocalFileError(e, `${file}.json`, "read");
  });
  const meta = await readKvMetadata(file).catch((e: unknown) => {
    throw asLocalFileError(e, file, "read");
  });
  const facts: KvFacts = {
    model_name: meta.model_name,
    num_layers: meta.num_layers,
    num_tokens: meta.num_tokens,
    dtype: meta.dtype,
    storage_dtype: meta.storage_dtype ?? null,
    quantized: meta.quantized,
  };
  return { facts, sidecar: sidecar === undefined ? undefined : { ...sidecar } };
}
