import type { ArtifactRecord, WireArtifact } from "./types.js";

/** The public CDN URL of an artifact: `{cdnUrl}/{org_slug}/{project_slug}/{artifact_id}`. */
export const publicUrlOf = (cdnUrl: string, r: ArtifactRecord): string =>
  `${cdnUrl}/${encodeURIComponent(r.org_slug)}/${encodeURIComponent(r.project_slug)}/${encodeURIComponent(r.id)}`;

/**
 * The wire `Artifact` of a record: `artifact_id` and `sha256` repeat `id` and `checksum` for clients of the
 * deployed service; `public_url` is set only when the artifact is public and ready.
 */
export function toWireArtifact(r: ArtifactRecord, cdnUrl: string): WireArtifact {
  return {
    id: r.id,
    artifact_id: r.id,
    name: r.name,
    description: r.description,
    model_name: r.model_name,
    dtype: r.dtype,
    storage_dtype: r.storage_dtype,
    num_tokens: r.num_tokens,
    num_layers: r.num_layers,
    quantized: r.quantized,
    size_bytes: r.size_bytes,
    checksum: r.checksum,
    sha256: r.checksum,
    status: r.status,
    visibility: r.visibility,
    org_slug: r.org_slug,
    project_slug: r.project_slug,
    public_url: r.visibility === "public" && r.status === "ready" ? publicUrlOf(cdnUrl, r) : null,
    ...(r.metadata === undefined ? {} : { metadata: r.metadata }),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}
