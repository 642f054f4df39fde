/**
 * The transfer engine's view of the typed client: the few calls it makes, adapted to what a transfer needs. Everything
 * here goes to the API host through the client, which alone holds the credentials.
 */
import type { Artifact, KvcdnClient, ListArtifactsParams, UploadUrlRequest } from "../client/index.js";
import { isNotFoundError } from "../errors/index.js";

/** What upload-url gave: where to PUT, until when, with which headers. */
export interface UploadTicket {
  artifactId: string;
  url: string;
  method: string;
  uploadHeaders: Record<string, string>;
  /** Epoch ms after which the URL must not be used: min(expires_at, issue time + presigned TTL). */
  deadline: number;
}

/** What download-url gave. */
export interface DownloadTicket {
  url: string;
  sizeBytes: number | undefined;
  checksum: string | undefined;
}

/** Request an upload URL (creates a pending artifact). The deadline counts from when the request was sent. */
export async function requestUploadUrl(params: {
  client: KvcdnClient;
  body: UploadUrlRequest;
  signal: AbortSignal | undefined;
  presignedTtlMs: number;
}): Promise<UploadTicket> {
  const issuedAt = Date.now();
  const res = await params.client.createUploadUrl(params.body, signalOption(params.signal));
  const expires = res.expires_at === null ? Number.NaN : Date.parse(res.expires_at);
  const ttlDeadline = issuedAt + params.presignedTtlMs;
  return {
    artifactId: res.artifact_id,
    url: res.url,
    method: res.method,
    uploadHeaders: res.upload_headers,
    deadline: Number.isNaN(expires) ? ttlDeadline : Math.min(expires, ttlDeadline),
  };
}

/** Request a presigned GET URL for an artifact of the caller's organization. */
export async function requestDownloadUrl(client: KvcdnClient, id: string, signal: AbortSignal | undefined): Promise<DownloadTicket> {
  const res = await client.createDownloadUrl(id, signalOption(signal));
  return { url: res.download_url, sizeBytes: res.size_bytes ?? undefined, checksum: res.checksum ?? undefined };
}

/** Confirm an upload; returns the (normalized) artifact. */
export async function confirmUpload(params: {
  client: KvcdnClient;
  id: string;
  sizeBytes: number;
  sha256: string;
  signal: AbortSignal | undefined;
  /** Per-attempt timeout in ms. */
  timeout?: number;
}): Promise<Artifact> {
  const body = { size_bytes: params.sizeBytes, checksum: params.sha256, digest: params.sha256 };
  return params.client.confirmUpload(params.id, body, { ...signalOption(params.signal), ...(params.timeout !== undefined ? { timeout: params.timeout } : {}) });
}

/** Get one artifact. */
export async function getArtifact(client: KvcdnClient, id: string, signal: AbortSignal | undefined): Promise<Artifact> {
  return client.get(id, signalOption(signal));
}

/** Delete an artifact; "already gone" (404) counts as success. */
export async function deleteArtifact(client: KvcdnClient, id: string, signal: AbortSignal | undefined): Promise<void> {
  try {
    await client.delete(id, signalOption(signal));
  } catch (e) {
    if (isNotFoundError(e)) return;
    throw e;
  }
}

/** Every artifact the caller can list (all pages). */
export function listArtifacts(client: KvcdnClient, signal: AbortSignal | undefined, query: ListArtifactsParams = {}): AsyncIterable<Artifact> {
  return client.list({ ...query, ...signalOption(signal) });
}

/** The artifact's SHA-256 in lowercase hex, or undefined when the service recorded none (aliases were merged by normalizeArtifact). */
export function artifactChecksum(artifact: Artifact | undefined): string | undefined {
  return artifact?.checksum?.toLowerCase() ?? undefined;
}

/** The artifact's `metadata` object (or an empty one). */
export function artifactMetadata(artifact: Artifact | undefined): Record<string, unknown> {
  return artifact?.metadata ?? {};
}

const signalOption = (signal: AbortSignal | undefined) => (signal === undefined ? {} : { signal });
