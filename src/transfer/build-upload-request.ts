import { basename } from "node:path";
import type { ShardInfo } from "./plan-kv-shards.js";
import { shardArtifactName } from "./shard-identity.js";

/** What an upload needs to know about a `.kv` (from its sidecar, or its header when there is none). */
export interface KvFacts {
  model_name: string;
  num_layers: number;
  num_tokens: number;
  dtype: string;
  storage_dtype: string | null;
  quantized: boolean;
}

/** The upload-url request body kvcdn sends (wire names, snake_case). */
export interface UploadRequestBody {
  model_name: string;
  name: string;
  description?: string;
  dtype: string;
  storage_dtype: string | null;
  num_tokens: number;
  num_layers: number;
  quantized: boolean;
  visibility: "private" | "public";
  size_bytes: number;
  checksum: string;
  metadata: Record<string, unknown> & { name: string; sha256: string };
}

/** The API refuses JSON bodies over 1 MiB; keep well under it even with a long `tokens` list. */
export const MAX_REQUEST_BODY_BYTES = 768 * 1024;

/**
 * The upload-url body: the real model id in `model_name` (kvcdn-cli puts the label there), the display name in `name`
 * and `metadata.name`, the layout facts, size and checksum, and the sidecar itself in `metadata.sidecar` so a download
 * can restore it. A sidecar too large for the API (very long `tokens`) loses `tokens`, then `prompt`; the dropped keys
 * are listed in `metadata.sidecar_omitted`.
 * @example buildUploadRequest({ file: "ctx.kv", facts, sha256, sizeBytes, name: "Qwen system prompt" })
 */
export function buildUploadRequest(params: {
  file: string;
  facts: KvFacts;
  sidecar?: Record<string, unknown> | undefined;
  sha256: string;
  sizeBytes: number;
  name?: string | undefined;
  description?: string | undefined;
  visibility?: "private" | "public" | undefined;
  model?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  shard?: ShardInfo | undefined;
}): UploadRequestBody {
  const { facts } = params;
  const modelName = params.model ?? facts.model_name;
  const name = displayName(params.name, params.file, params.shard);
  const metadata: UploadRequestBody["metadata"] = {
    ...params.metadata,
    name,
    sha256: params.sha256,
    storage_dtype: facts.storage_dtype,
    num_layers: facts.num_layers,
    quantized: facts.quantized,
  };
  if (params.sidecar !== undefined) metadata.sidecar = { ...params.sidecar, sha256: params.sha256 };
  if (params.shard !== undefined) metadata.shard = params.shard;
  const body: UploadRequestBody = {
    model_name: modelName,
    name,
    ...(params.description !== undefined ? { description: params.description } : {}),
    dtype: facts.dtype,
    storage_dtype: facts.storage_dtype,
    num_tokens: facts.num_tokens,
    num_layers: facts.num_layers,
    quantized: facts.quantized,
    visibility: params.visibility ?? "private",
    size_bytes: params.sizeBytes,
    checksum: params.sha256,
    metadata,
  };
  const sidecar = metadata.sidecar as Record<string, unknown> | undefined;
  const omitted: string[] = [];
  for (const key of ["tokens", "prompt"]) {
    if (sidecar === undefined || Buffer.byteLength(JSON.stringify(body)) <= MAX_REQUEST_BODY_BYTES) break;
    if (key in sidecar) {
      delete sidecar[key];
      omitted.push(key);
      metadata.sidecar_omitted = omitted;
    }
  }
  return body;
}

/** The display name: the given one, else the file name without `.kv`; a shard adds ` [shard i/n of <group>]`. */
function displayName(name: string | undefined, file: string, shard: ShardInfo | undefined): string {
  const label = name ?? (basename(file).replace(/\.kv$/i, "") || basename(file));
  return shard === undefined ? label : shardArtifactName(label, shard);
}
