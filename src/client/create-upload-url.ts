import type { components } from "../generated/schema.js";
import { normalizeArtifact, type Artifact } from "./artifact.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { invalidResponse } from "./invalid-response.js";

type UploadUrlWire = components["schemas"]["UploadUrlRequest"];

/**
 * The body of `POST /api/v1/artifacts/upload-url` (wire names). `model_name` is the real model id; `name` the label.
 * `num_tokens` (default 0) and `visibility` (default `private`) may be left out: the service applies the defaults.
 */
export type UploadUrlRequest = Omit<UploadUrlWire, "num_tokens" | "visibility"> &
  Partial<Pick<UploadUrlWire, "num_tokens" | "visibility">>;

/**
 * Where to PUT an artifact's bytes, normalised from any shape the service returns
 * (docs/service-contract.md#deployed-service-variants). Wire names.
 */
export interface UploadUrl {
  /** The new (pending) artifact's id. */
  artifact_id: string;
  /** The presigned PUT URL (`url ?? upload_url`). */
  url: string;
  /** The HTTP method (`method ?? "PUT"`). */
  method: string;
  /** Headers signed into the URL: send every one (`upload_headers ?? {}`). */
  upload_headers: Record<string, string>;
  /** When the URL expires, as the service states it (ISO 8601); the deployed service's URLs die after 300 s anyway. */
  expires_at: string | null;
  /** The artifact, when the service sent it along. */
  artifact: Artifact | null;
}

/**
 * Create a pending artifact and get its presigned PUT URL. Every call creates an artifact, so this is never retried
 * blindly: only 429 and 503 with `Retry-After` (the request was not processed) are retried
 * (docs/service-contract.md#reconciliation). After any other failure the caller must reconcile (list pending artifacts
 * with the same checksum) before trying again.
 */
export async function createUploadUrl(ctx: ClientContext, body: UploadUrlRequest, options: CallOptions = {}): Promise<UploadUrl> {
  const path = "/api/v1/artifacts/upload-url";
  const { data, response } = await callApi(
    ctx,
    { method: "POST", path, retry: "rate-limit-only", signal: options.signal, timeout: options.timeout, retryOptions: options.retry },
    // The generated type marks defaulted fields required; the service fills them in when absent.
    (signal) => ctx.api.POST(path, { body: body as UploadUrlWire, signal }),
  );
  const o = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const artifact = normalizeArtifact(o["artifact"]) ?? null;
  const id = typeof o["artifact_id"] === "string" ? o["artifact_id"] : typeof o["id"] === "string" ? o["id"] : artifact?.id;
  const url = typeof o["url"] === "string" && o["url"] !== "" ? o["url"] : typeof o["upload_url"] === "string" ? o["upload_url"] : undefined;
  if (id === undefined || id === "" || url === undefined || url === "") {
    throw invalidResponse(response, `POST ${path}`, `its body lacks ${id ? "the upload URL" : "the artifact id"}`, data);
  }
  const headers: Record<string, string> = {};
  const given = o["upload_headers"];
  if (typeof given === "object" && given !== null) {
    for (const [k, v] of Object.entries(given)) if (typeof v === "string") headers[k] = v;
  }
  return {
    artifact_id: id,
    url,
    method: typeof o["method"] === "string" && o["method"] !== "" ? o["method"].toUpperCase() : "PUT",
    upload_headers: headers,
    expires_at: typeof o["expires_at"] === "string" ? o["expires_at"] : null,
    artifact,
  };
}
