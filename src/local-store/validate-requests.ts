import type { ArtifactMetadata } from "./types.js";

/** Lowercase hex SHA-256 (openapi.yaml `Sha256Hex`). */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** A validated request, or what is wrong with it (one message per problem, naming the field). */
export type Checked<T> = { ok: true; value: T } | { ok: false; issues: string[] };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Field checks that collect issues instead of stopping at the first. */
class FieldChecks {
  readonly issues: string[] = [];
  constructor(private readonly body: Json, private readonly prefix = "") {}

  #fail(key: string, what: string): undefined {
    this.issues.push(`${this.prefix}${key}: ${what}`);
    return undefined;
  }

  string(key: string, opts: { required?: boolean; min?: number; max?: number } = {}): string | undefined {
    const v = this.body[key];
    if (v === undefined) return opts.required ? this.#fail(key, "is required") : undefined;
    if (typeof v !== "string") return this.#fail(key, "must be a string");
    if (v.length < (opts.min ?? 0)) return this.#fail(key, `must be at least ${opts.min} characters`);
    if (opts.max !== undefined && v.length > opts.max) return this.#fail(key, `must be at most ${opts.max} characters`);
    return v;
  }

  nullableString(key: string, max: number): string | null | undefined {
    if (this.body[key] === null) return null;
    return this.string(key, { max });
  }

  count(key: string, opts: { required?: boolean } = {}): number | undefined {
    const v = this.body[key];
    if (v === undefined) return opts.required ? this.#fail(key, "is required") : undefined;
    return isCount(v) ? v : this.#fail(key, "must be an integer >= 0");
  }

  boolean(key: string): boolean | undefined {
    const v = this.body[key];
    if (v === undefined) return undefined;
    return typeof v === "boolean" ? v : this.#fail(key, "must be a boolean");
  }

  sha256(key: string, opts: { required?: boolean } = {}): string | undefined {
    const v = this.body[key];
    if (v === undefined) return opts.required ? this.#fail(key, "is required") : undefined;
    return typeof v === "string" && SHA256_PATTERN.test(v) ? v : this.#fail(key, "must be 64 lowercase hex characters (SHA-256)");
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.body[key];
    if (v === undefined) return undefined;
    return values.includes(v as T) ? (v as T) : this.#fail(key, `must be one of ${values.join(", ")}`);
  }

  object(key: string): Json | undefined {
    const v = this.body[key];
    if (v === undefined) return undefined;
    return isObject(v) ? v : this.#fail(key, "must be an object");
  }
}

/** Check `metadata` against openapi.yaml `ArtifactMetadata` (free-form, but its known fields are typed). */
function checkMetadata(metadata: Json, issues: string[]): ArtifactMetadata {
  const f = new FieldChecks(metadata, "metadata.");
  f.string("name");
  f.sha256("sha256");
  if (metadata.storage_dtype !== null) f.string("storage_dtype");
  f.count("num_layers");
  f.boolean("quantized");
  f.object("sidecar");
  const shard = f.object("shard");
  if (shard !== undefined) {
    const s = new FieldChecks(shard, "metadata.shard.");
    s.string("group_id", { required: true });
    s.count("index", { required: true });
    s.count("layer_start", { required: true });
    const count = s.count("count", { required: true });
    const end = s.count("layer_end", { required: true });
    if (count === 0) s.issues.push("metadata.shard.count: must be >= 1");
    if (end === 0) s.issues.push("metadata.shard.layer_end: must be >= 1");
    issues.push(...s.issues);
  }
  issues.push(...f.issues);
  return metadata as ArtifactMetadata;
}

/** A validated upload-url request with defaults applied (what the new artifact records). */
export interface NewArtifactInput {
  model_name: string;
  name: string;
  description: string | null;
  dtype: string;
  storage_dtype: string | null;
  num_tokens: number;
  num_layers: number | null;
  quantized: boolean | null;
  visibility: "private" | "public";
  size_bytes: number;
  checksum: string;
  metadata?: ArtifactMetadata;
}

/**
 * Validate `POST /api/v1/artifacts/upload-url` (openapi.yaml `UploadUrlRequest`). The display name defaults to
 * `metadata.name`, then `model_name`; `storage_dtype`, `num_layers` and `quantized` fall back to `metadata`
 * (where kvcdn-cli puts them, docs/service-contract.md#upload-url).
 */
export function checkUploadUrlRequest(body: Json): Checked<NewArtifactInput> {
  const f = new FieldChecks(body);
  const model_name = f.string("model_name", { required: true, min: 1, max: 256 });
  const name = f.string("name", { min: 1, max: 256 });
  const description = f.string("description", { max: 4096 });
  const dtype = f.string("dtype", { required: true, min: 1, max: 32 });
  const storage_dtype = f.nullableString("storage_dtype", 32);
  const num_tokens = f.count("num_tokens") ?? 0;
  const num_layers = f.count("num_layers");
  const quantized = f.boolean("quantized");
  const visibility = f.oneOf("visibility", ["private", "public"] as const) ?? "private";
  const size_bytes = f.count("size_bytes", { required: true });
  const checksum = f.sha256("checksum", { required: true });
  const meta = f.object("metadata");
  const issues = f.issues;
  const metadata = meta === undefined ? undefined : checkMetadata(meta, issues);
  if (metadata?.sha256 !== undefined && checksum !== undefined && metadata.sha256 !== checksum) {
    issues.push("metadata.sha256: differs from checksum");
  }
  if (issues.length > 0 || model_name === undefined || dtype === undefined || size_bytes === undefined || checksum === undefined) {
    return { ok: false, issues };
  }
  const metaName = typeof metadata?.name === "string" && metadata.name.length > 0 ? metadata.name.slice(0, 256) : undefined;
  return {
    ok: true,
    value: {
      model_name,
      name: name ?? metaName ?? model_name,
      description: description ?? null,
      dtype,
      storage_dtype: storage_dtype !== undefined ? storage_dtype : typeof metadata?.storage_dtype === "string" ? metadata.storage_dtype : null,
      num_tokens,
      num_layers: num_layers ?? (isCount(metadata?.num_layers) ? metadata.num_layers : null),
      quantized: quantized ?? (typeof metadata?.quantized === "boolean" ? metadata.quantized : null),
      visibility,
      size_bytes,
      checksum,
      ...(metadata === undefined ? {} : { metadata }),
    },
  };
}

/** What a confirm-upload body claims (all optional; the backend's record is authoritative). */
export interface ConfirmClaims {
  size_bytes?: number;
  checksum?: string;
}

/** Validate `POST …/confirm-upload` (openapi.yaml `ConfirmUploadRequest`; `digest` is kvcdn-cli's name for `checksum`). */
export function checkConfirmRequest(body: Json): Checked<ConfirmClaims> {
  const f = new FieldChecks(body);
  const size_bytes = f.count("size_bytes");
  const checksum = f.sha256("checksum");
  const digest = f.sha256("digest");
  if (checksum !== undefined && digest !== undefined && checksum !== digest) f.issues.push("digest: differs from checksum");
  if (f.issues.length > 0) return { ok: false, issues: f.issues };
  const sum = checksum ?? digest;
  return { ok: true, value: { ...(size_bytes === undefined ? {} : { size_bytes }), ...(sum === undefined ? {} : { checksum: sum }) } };
}

/** A validated visibility / name / description change. */
export interface ArtifactChanges {
  visibility?: "private" | "public";
  name?: string;
  description?: string | null;
}

/** Validate `PATCH /api/v1/artifacts/{id}` (openapi.yaml `UpdateArtifactRequest`): at least one known field. */
export function checkUpdateRequest(body: Json): Checked<ArtifactChanges> {
  const f = new FieldChecks(body);
  const visibility = f.oneOf("visibility", ["private", "public"] as const);
  const name = f.string("name", { min: 1, max: 256 });
  const description = f.nullableString("description", 4096);
  if (f.issues.length > 0) return { ok: false, issues: f.issues };
  const changes: ArtifactChanges = {
    ...(visibility === undefined ? {} : { visibility }),
    ...(name === undefined ? {} : { name }),
    ...(description === undefined ? {} : { description }),
  };
  if (Object.keys(changes).length === 0) return { ok: false, issues: ["body: set at least one of visibility, name, description"] };
  return { ok: true, value: changes };
}

/** Parse an integer query parameter in [min, max]; undefined when absent, NaN when malformed. */
export function queryInt(params: URLSearchParams, key: string, min: number, max: number): number | undefined {
  const v = params.get(key);
  if (v === null) return undefined;
  const n = /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
  return n >= min && n <= max ? n : Number.NaN;
}
