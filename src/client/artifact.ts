/** Who may download an artifact: org members (`private`, the default) or anyone with the CDN URL (`public`). */
export type Visibility = "private" | "public";
/** `pending` until the upload is confirmed, then `ready`. */
export type ArtifactStatus = "pending" | "ready";

/**
 * One stored KV cache, normalised from whichever shape the service returned
 * (docs/service-contract.md#deployed-service-variants). Wire names are kept (snake_case, as in the API and `.kv.json`),
 * so `kvcdn get --json` prints exactly this. Fields the service did not send are `null`.
 */
export interface Artifact {
  /** The artifact id (a UUID): `id ?? artifact_id`. */
  id: string;
  /** Display name: `metadata.name ?? name ?? model_name`, else the id. */
  name: string;
  /** Free-text description, when set. */
  description: string | null;
  /** The producing model's id, e.g. `Qwen/Qwen3-0.6B`. */
  model_name: string | null;
  /** The dtype the cache was produced in (`F16`, `BF16`, `F32`, …). */
  dtype: string | null;
  /** How the tensors are stored (`U8` for quantized caches). */
  storage_dtype: string | null;
  /** Cached positions: generation resumes at this position. */
  num_tokens: number | null;
  /** Decoder layers in the cache. */
  num_layers: number | null;
  /** Whether the tensors are int8-quantized. */
  quantized: boolean | null;
  /** Size of the `.kv` file in bytes. */
  size_bytes: number | null;
  /** SHA-256 of the `.kv` bytes, lowercase hex: `checksum ?? sha256 ?? metadata.sha256`. */
  checksum: string | null;
  /** `pending` or `ready`; null when the service does not say (the deployed service never does). */
  status: ArtifactStatus | null;
  /** `private` or `public` (`private` when the service does not say). */
  visibility: Visibility;
  /** Owning organization's slug, when known (needed for the public CDN URL). */
  org_slug: string | null;
  /** Owning project's slug, when known. */
  project_slug: string | null;
  /** The CDN URL when the artifact is public and ready. */
  public_url: string | null;
  /** Free-form metadata stored with the artifact, returned unchanged (`{}` when none). */
  metadata: Record<string, unknown>;
  /** ISO 8601 creation time. */
  created_at: string | null;
  /** ISO 8601 time of the last change. */
  updated_at: string | null;
}

type Loose = Record<string, unknown>;

const obj = (v: unknown): Loose | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Loose) : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);

/**
 * Normalise one artifact from any shape the service sends (docs/service-contract.md#deployed-service-variants):
 * `id ?? artifact_id`, name aliases, `checksum ?? sha256 ?? metadata.sha256`, optional `status`, layer/quantization
 * facts from `metadata` when not top-level. A body wrapped as `{artifact: {...}}` is unwrapped. Returns undefined when
 * there is no id.
 * @example normalizeArtifact({ artifact_id: "a1", model_name: "Qwen/Qwen3-0.6B", sha256: "ab…" })?.checksum // → "ab…"
 */
export function normalizeArtifact(raw: unknown): Artifact | undefined {
  let o = obj(raw);
  if (o === undefined) return undefined;
  const wrapped = obj(o["artifact"]);
  if (wrapped !== undefined && str(o["id"]) === undefined) o = wrapped;
  const id = str(o["id"]) ?? str(o["artifact_id"]);
  if (id === undefined) return undefined;
  const metadata = obj(o["metadata"]) ?? {};
  const status = o["status"];
  const visibility = o["visibility"];
  return {
    id,
    name: str(metadata["name"]) ?? str(o["name"]) ?? str(o["model_name"]) ?? id,
    description: str(o["description"]) ?? null,
    model_name: str(o["model_name"]) ?? null,
    dtype: str(o["dtype"]) ?? null,
    storage_dtype: str(o["storage_dtype"]) ?? str(metadata["storage_dtype"]) ?? null,
    num_tokens: int(o["num_tokens"]) ?? int(metadata["num_tokens"]) ?? null,
    num_layers: int(o["num_layers"]) ?? int(metadata["num_layers"]) ?? null,
    quantized: bool(o["quantized"]) ?? bool(metadata["quantized"]) ?? null,
    size_bytes: int(o["size_bytes"]) ?? null,
    checksum: (str(o["checksum"]) ?? str(o["sha256"]) ?? str(metadata["sha256"]))?.toLowerCase() ?? null,
    status: status === "pending" || status === "ready" ? status : null,
    visibility: visibility === "public" ? "public" : "private",
    org_slug: str(o["org_slug"]) ?? null,
    project_slug: str(o["project_slug"]) ?? null,
    public_url: str(o["public_url"]) ?? null,
    metadata,
    created_at: str(o["created_at"]) ?? null,
    updated_at: str(o["updated_at"]) ?? null,
  };
}

/** True when `raw` carries an artifact's descriptive fields (not just `{artifact_id, sha256}`, as confirm-upload may). */
export function isFullArtifact(raw: unknown): boolean {
  const o = obj(raw);
  if (o === undefined) return false;
  const inner = obj(o["artifact"]) ?? o;
  return ["visibility", "model_name", "size_bytes", "name", "dtype"].some((k) => inner[k] !== undefined);
}
