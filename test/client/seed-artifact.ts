import { createHash, randomBytes } from "node:crypto";
import type { Artifact, KvcdnClient, Visibility } from "../../src/client/index.js";

/**
 * Store an artifact through the real upload flow (upload-url, presigned PUT without credentials, confirm-upload)
 * and return it ready. The bytes are random: these tests exercise the API, not the `.kv` format.
 */
export async function seedArtifact(
  client: KvcdnClient,
  params: { name: string; model?: string; visibility?: Visibility; size?: number; description?: string },
): Promise<Artifact & { bytes: Buffer }> {
  const bytes = randomBytes(params.size ?? 256);
  const checksum = createHash("sha256").update(bytes).digest("hex");
  const target = await client.createUploadUrl({
    model_name: params.model ?? "Qwen/Qwen3-0.6B",
    name: params.name,
    ...(params.description === undefined ? {} : { description: params.description }),
    dtype: "F16",
    num_tokens: 16,
    visibility: params.visibility ?? "private",
    size_bytes: bytes.length,
    checksum,
  });
  const put = await client.fetch(
    new Request(target.url, {
      method: target.method,
      body: bytes,
      headers: { "content-type": "application/octet-stream", ...target.upload_headers },
    }),
  );
  if (!put.ok) throw new Error(`PUT failed: ${put.status} ${await put.text()}`);
  const ready = await client.confirmUpload(target.artifact_id, { size_bytes: bytes.length, checksum });
  return { ...ready, bytes };
}
