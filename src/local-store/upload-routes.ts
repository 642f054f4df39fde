import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import type { components } from "../generated/schema.js";
import { sha256File } from "../util/sha256-file.js";
import { BLOB_CHUNK_BYTES } from "./constants.js";
import { artifactIdParam } from "./artifact-id.js";
import { authenticate } from "./authenticate.js";
import { sendApiError, sendJson, type Exchange } from "./exchange.js";
import { orgUsage, refuseUpload, toWireUsage, type OrgUsage } from "./limits.js";
import { expectNoBody, readJsonBody } from "./read-json-body.js";
import type { StoreContext } from "./store-context.js";
import { toWireArtifact } from "./to-wire-artifact.js";
import type { ArtifactRecord } from "./types.js";
import { checkConfirmRequest, checkUploadUrlRequest } from "./validate-requests.js";

type UploadUrlResponse = components["schemas"]["UploadUrlResponse"];
type DownloadUrlResponse = components["schemas"]["DownloadUrlResponse"];

/** Headers the client should send on the PUT (Content-Length and Host come from its HTTP stack). */
const UPLOAD_HEADERS = { "Content-Type": "application/octet-stream" };

/** Signing time of a URL: now, or (for an injected `expire` fault) long enough ago that it is already expired. */
function signingDate(ctx: StoreContext, ex: Exchange): Date {
  const now = ctx.now();
  return new Date(ex.fault?.action === "expire" ? now - Math.ceil(ctx.presignTtlMs / 1000) * 1000 - 2000 : now);
}

function invalid(ex: Exchange, issues: string[]): void {
  sendApiError(ex, 400, "invalid_request", issues.join("; "), { details: issues });
}

/**
 * `POST /api/v1/artifacts/upload-url`: check the plan limits, create a `pending` artifact recording the declared
 * size and SHA-256, and return a single-use presigned PUT URL with `content-length;host` signed.
 */
export async function createUploadUrl(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const body = await readJsonBody(ex, { maxBytes: ctx.maxJsonBytes });
  if (!body) return;
  const checked = checkUploadUrlRequest(body);
  if (!checked.ok) return invalid(ex, checked.issues);
  // The deployed backend derives the name from metadata.name first, then drops metadata and description.
  const input = ctx.dropMetadata ? { ...withoutMetadata(checked.value), description: null } : checked.value;

  type Created = { record: ArtifactRecord } | { refusal: NonNullable<ReturnType<typeof refuseUpload>>; usage: OrgUsage };
  const created = await ctx.orgLocks.run(principal.org, async (): Promise<Created> => {
    const usage = orgUsage(ctx.artifacts.values(), principal.org);
    const refusal = refuseUpload(usage, ctx.limits, input.size_bytes);
    if (refusal) return { refusal, usage };
    const at = new Date(ctx.now()).toISOString();
    const record: ArtifactRecord = {
      v: 1,
      id: randomUUID(),
      seq: ctx.artifacts.nextSeq(),
      org_slug: principal.org,
      project_slug: principal.project,
      ...input,
      status: "pending",
      created_at: at,
      updated_at: at,
      created_by: principal.keyId,
    };
    await ctx.artifacts.save(record);
    return { record };
  });
  if ("refusal" in created) {
    const { status, error, message } = created.refusal;
    return sendApiError(ex, status, error, message, status === 403 ? { usage: toWireUsage(created.usage, ctx.limits) } : {});
  }
  const { record } = created;
  await ctx.audit.append(principal.org, {
    type: "artifact.created",
    artifactId: record.id,
    keyId: principal.keyId,
    details: { name: record.name, model_name: record.model_name, size_bytes: record.size_bytes, checksum: record.checksum, visibility: record.visibility },
  });

  const signedAt = signingDate(ctx, ex);
  const expiresIn = Math.ceil(ctx.presignTtlMs / 1000);
  const url = await ctx.presigner.presign({
    method: "PUT",
    origin: ctx.url,
    path: `/storage/${record.id}`,
    headers: { "content-length": String(record.size_bytes) },
    signingDate: signedAt,
    expiresInSeconds: expiresIn,
  });
  const response: UploadUrlResponse = {
    artifact_id: record.id,
    url,
    method: "PUT",
    expires_at: new Date(Math.floor(signedAt.getTime() / 1000) * 1000 + expiresIn * 1000).toISOString(),
    upload_headers: UPLOAD_HEADERS,
    artifact: toWireArtifact(record, ctx.cdnUrl),
  };
  sendJson(ex, 200, response);
}

/**
 * `POST /api/v1/artifacts/{id}/confirm-upload`: hash the stored object and compare it with the size and SHA-256
 * recorded at upload-url; a match makes the artifact `ready` (idempotent), a mismatch leaves it `pending` with a 400.
 */
export async function confirmUpload(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const id = artifactIdParam(ex);
  if (!id) return;
  const body = await readJsonBody(ex, { maxBytes: ctx.maxJsonBytes, optional: true });
  if (!body) return;
  const checked = checkConfirmRequest(body);
  if (!checked.ok) return invalid(ex, checked.issues);
  const record = ctx.artifacts.get(id);
  if (!record || record.org_slug !== principal.org) return sendApiError(ex, 404, "not_found", "Artifact not found");

  const claims = checked.value;
  if (claims.size_bytes !== undefined && claims.size_bytes !== record.size_bytes) {
    return sendApiError(ex, 400, "size_mismatch", "size_bytes differs from the size declared at upload-url", {
      expected: record.size_bytes,
      actual: claims.size_bytes,
    });
  }
  if (claims.checksum !== undefined && claims.checksum !== record.checksum) {
    return sendApiError(ex, 400, "sha256_mismatch", "checksum differs from the one recorded at upload-url", {
      expected: record.checksum,
      actual: claims.checksum,
    });
  }
  if (record.status === "ready") return sendJson(ex, 200, toWireArtifact(record, ctx.cdnUrl));

  const blob = ctx.artifacts.blobPath(id);
  const size = await stat(blob).then((s) => s.size, () => undefined);
  if (size === undefined) {
    return sendApiError(ex, 400, "artifact_data_not_found", "No object has been stored for this artifact; PUT it to the upload URL first");
  }
  if (size !== record.size_bytes) {
    return sendApiError(ex, 400, "size_mismatch", "The stored object's size differs from the declared size_bytes", {
      expected: record.size_bytes,
      actual: size,
    });
  }
  const stored = await sha256File(blob, { chunkBytes: BLOB_CHUNK_BYTES }).catch(() => undefined);
  if (stored === undefined) return sendApiError(ex, 400, "artifact_data_not_found", "The stored object disappeared while being verified");
  if (stored.sizeBytes !== record.size_bytes || stored.sha256 !== record.checksum) {
    return sendApiError(ex, 400, stored.sizeBytes !== record.size_bytes ? "size_mismatch" : "sha256_mismatch",
      "The stored object does not match the recorded checksum; the artifact stays pending, upload it again",
      stored.sizeBytes !== record.size_bytes
        ? { expected: record.size_bytes, actual: stored.sizeBytes }
        : { expected: record.checksum, actual: stored.sha256 });
  }

  const outcome = await ctx.orgLocks.run(principal.org, async () => {
    const current = ctx.artifacts.get(id);
    if (!current) return undefined;
    if (current.status === "ready") return { record: current, changed: false };
    const ready: ArtifactRecord = { ...current, status: "ready", updated_at: new Date(ctx.now()).toISOString() };
    await ctx.artifacts.save(ready);
    return { record: ready, changed: true };
  });
  if (!outcome) return sendApiError(ex, 404, "not_found", "Artifact not found");
  if (outcome.changed) {
    await ctx.audit.append(principal.org, {
      type: "artifact.confirmed",
      artifactId: id,
      keyId: principal.keyId,
      details: { size_bytes: outcome.record.size_bytes, checksum: outcome.record.checksum },
    });
  }
  sendJson(ex, 200, toWireArtifact(outcome.record, ctx.cdnUrl));
}

/**
 * `POST /api/v1/artifacts/{id}/download-url`: a presigned GET URL for a `ready` artifact of the caller's
 * organization (409 `not_ready` while pending; 404 for anything the caller does not own).
 */
export async function createDownloadUrl(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const id = artifactIdParam(ex);
  if (!id) return;
  if (!(await expectNoBody(ex))) return;
  const record = ctx.artifacts.get(id);
  if (!record || record.org_slug !== principal.org) return sendApiError(ex, 404, "not_found", "Artifact not found");
  if (record.status !== "ready") {
    return sendApiError(ex, 409, "not_ready", "The artifact is pending: confirm its upload before downloading it");
  }
  const signedAt = signingDate(ctx, ex);
  const expiresIn = Math.ceil(ctx.presignTtlMs / 1000);
  const url = await ctx.presigner.presign({
    method: "GET",
    origin: ctx.url,
    path: `/storage/${record.id}`,
    signingDate: signedAt,
    expiresInSeconds: expiresIn,
  });
  const response: DownloadUrlResponse = {
    artifact_id: record.id,
    download_url: url,
    url,
    expires_at: new Date(Math.floor(signedAt.getTime() / 1000) * 1000 + expiresIn * 1000).toISOString(),
    size_bytes: record.size_bytes,
    checksum: record.checksum,
  };
  sendJson(ex, 200, response);
}

function withoutMetadata<T extends { metadata?: unknown }>(value: T): Omit<T, "metadata"> {
  const { metadata: _dropped, ...rest } = value;
  return rest;
}
