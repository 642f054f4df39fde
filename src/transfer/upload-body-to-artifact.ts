import type { FetchLike } from "../client/client-options.js";
import type { Artifact } from "../client/artifact.js";
import {
  IntegrityError,
  KvcdnError,
  PresignedUrlError,
  QuotaExceededError,
  isHttpError,
  isNetworkError,
  isQuotaExceededError,
  isRateLimitError,
  isTimeoutError,
} from "../errors/index.js";
import { sleep } from "../util/sleep.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { awaitOrAbort } from "./await-or-abort.js";
import { backoffDelay } from "../retry/backoff-delay.js";
import type { UploadRequestBody } from "./build-upload-request.js";
import { CLEANUP_TIMEOUT_MS, discardArtifact, reconcileUploads, trackArtifact, untrackArtifact } from "./orphans.js";
import { emitProgress, type ProgressCallback } from "./progress.js";
import { putPresigned } from "./put-presigned.js";
import { requestUploadUrl, type UploadTicket } from "./request-upload-url.js";
import type { TransferClient } from "./transfer-client.js";
import { longerTimeout, type TransferSettings } from "./transfer-settings.js";
import { transferTimeoutMs } from "./transfer-timeout.js";
import { assertUnchanged, type FileStamp, type UploadBody } from "./upload-body.js";

/** Bounds and clocks of one upload, every default filled in. */
export interface UploadPolicy extends TransferSettings {
  /** Fresh upload URLs after a refused, expired or broken PUT (each one a new artifact; the old one is deleted). */
  maxUrlRefreshes: number;
  /** Re-uploads after confirm-upload found the stored bytes wrong. */
  maxReuploads: number;
  /** How long a presigned URL lives at most, whatever `expires_at` says (the deployed service signs 300 s). */
  presignedTtlMs: number;
  /** A URL closer than this to its deadline is replaced before a PUT starts. */
  urlSafetyMarginMs: number;
}

/** The upload-url errors after which the request was not processed (429, or 503 with Retry-After). */
function notProcessed(e: unknown): { retryAfterMs: number | undefined } | undefined {
  if (isRateLimitError(e)) return { retryAfterMs: e.retryAfterMs };
  if (isHttpError(e) && e.status === 503 && e.retryAfterMs !== undefined) return { retryAfterMs: e.retryAfterMs };
  return undefined;
}

/** The upload-url errors after which an artifact may exist although we got no answer. */
function maybeCreated(e: unknown): boolean {
  return isNetworkError(e) || isTimeoutError(e) || (isHttpError(e) && e.status >= 500);
}

/**
 * confirm-upload said the stored object is not what was declared (size, SHA-256, or missing): a 400
 * (docs/service-contract.md#confirm-upload).
 */
function isConfirmMismatch(e: unknown): boolean {
  if (!isHttpError(e) || e.status !== 400) return false;
  const text = `${e.code ?? ""} ${e.message} ${JSON.stringify(e.body ?? "")}`.toLowerCase();
  return /mismatch|not[ _]found|artifact_data/.test(text);
}

/**
 * Upload one body as one artifact and confirm it: upload-url (reconciled retries), presigned PUT (backoff for busy
 * storage, a fresh URL for refused, expired or broken ones), confirm-upload (a re-upload when the stored bytes are
 * wrong). Every artifact created on the way that does not end up ready is deleted, so success leaves exactly one
 * ready artifact and failure none.
 */
export async function uploadBodyToArtifact(params: {
  client: TransferClient;
  body: UploadBody;
  request: UploadRequestBody;
  stamp: FileStamp;
  policy: UploadPolicy;
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressCallback | undefined;
}): Promise<Artifact> {
  const { client, body, request, policy, signal, onProgress } = params;
  const sha256 = request.checksum;
  const created = new Set<string>();
  let succeeded = false;

  const issue = async (): Promise<UploadTicket> => {
    const since = Date.now();
    let uncertain = false;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      try {
        // Not cut by the caller's signal: an upload-url call cut mid-flight may still create an artifact we would never
        // hear of. On abort, wait for its answer (the client's own timeout bounds it) and delete what it created.
        const call = requestUploadUrl({ client, body: request, presignedTtlMs: policy.presignedTtlMs, timeout: policy.timeout });
        const ticket = await awaitOrAbort(call, signal, async (late) => {
          const lateTicket = await late.catch(() => undefined);
          if (lateTicket !== undefined) await discardArtifact(client, lateTicket.artifactId);
        });
        created.add(ticket.artifactId);
        trackArtifact(ticket.artifactId);
        if (uncertain) await reconcileUploads({ client, sha256, sizeBytes: body.sizeBytes, since, keep: ticket.artifactId });
        return ticket;
      } catch (e) {
        if (isQuotaExceededError(e)) throw await withUsage(client, e);
        const wait = notProcessed(e);
        const unknownOutcome = wait === undefined && maybeCreated(e);
        if (unknownOutcome) uncertain = true;
        const retryable = wait !== undefined || unknownOutcome;
        const tooLong = wait?.retryAfterMs !== undefined && wait.retryAfterMs > policy.retry.maxRetryAfter;
        if (!retryable || tooLong || attempt >= policy.retry.limit || signal?.aborted) {
          if (uncertain) await reconcileUploads({ client, sha256, sizeBytes: body.sizeBytes, since, keep: undefined });
          throw e;
        }
        await sleep(backoffDelay(policy.retry, { attempt: attempt + 1, retryAfterMs: wait?.retryAfterMs }), signal).catch(async (abort: unknown) => {
          if (uncertain) await reconcileUploads({ client, sha256, sizeBytes: body.sizeBytes, since, keep: undefined });
          throw abort;
        });
      }
    }
  };

  const replace = async (ticket: UploadTicket): Promise<UploadTicket> => {
    await discardArtifact(client, ticket.artifactId);
    created.delete(ticket.artifactId);
    return issue();
  };

  try {
    let ticket = await issue();
    let refreshes = 0;
    let backoffs = 0;
    let reuploads = 0;
    for (;;) {
      throwIfAborted(signal);
      const progress = { file: body.file, artifactId: ticket.artifactId };
      if (ticket.method !== "PUT") {
        throw new KvcdnError(`The service asked for a ${ticket.method} upload; kvcdn uploads with a presigned PUT only`, { code: "unsupported_upload_method" });
      }
      if (Date.now() + policy.urlSafetyMarginMs >= ticket.deadline) {
        if (refreshes >= policy.maxUrlRefreshes) {
          throw new PresignedUrlError("The upload URL expired before the upload could start", { status: 403, code: "AccessDenied" });
        }
        refreshes++;
        ticket = await replace(ticket);
        continue;
      }
      emitProgress(onProgress, { ...progress, phase: "uploading", bytes: 0, totalBytes: body.sizeBytes });
      const outcome = await putPresigned({
        url: ticket.url,
        body,
        uploadHeaders: ticket.uploadHeaders,
        fetch: params.fetch,
        signal,
        timeoutMs: transferTimeoutMs(policy.transferTimeout, body.sizeBytes),
        onBytes: (bytes) => emitProgress(onProgress, { ...progress, phase: "uploading", bytes, totalBytes: body.sizeBytes }),
      });
      if (!outcome.ok) {
        const tooLong = outcome.retryAfterMs !== undefined && outcome.retryAfterMs > policy.retry.maxRetryAfter;
        if (outcome.retry === "backoff" && backoffs < policy.retry.limit && !tooLong) {
          await sleep(backoffDelay(policy.retry, { attempt: backoffs + 1, retryAfterMs: outcome.retryAfterMs }), signal);
          backoffs++;
          continue;
        }
        if ((outcome.retry === "fresh-url" || outcome.retry === "backoff") && refreshes < policy.maxUrlRefreshes && !tooLong) {
          await sleep(backoffDelay(policy.retry, { attempt: refreshes + 1 }), signal);
          refreshes++;
          ticket = await replace(ticket);
          continue;
        }
        throw outcome.error;
      }
      await assertUnchanged(body.file, params.stamp);

      emitProgress(onProgress, { ...progress, phase: "confirming", bytes: 0, totalBytes: body.sizeBytes });
      let artifact: Artifact | undefined;
      let mismatch: unknown;
      try {
        // The service re-reads the whole object to check it: give confirm a timeout that grows with the size too.
        const timeout = longerTimeout(policy.timeout, transferTimeoutMs(policy.transferTimeout, body.sizeBytes));
        const confirmBody = { size_bytes: body.sizeBytes, checksum: sha256, digest: sha256 };
        artifact = await client.confirmUpload(ticket.artifactId, confirmBody, { signal, timeout, retry: policy.retry });
        const stored = artifact.checksum;
        if (stored !== null && stored !== sha256) {
          mismatch = new IntegrityError(`The store recorded SHA-256 ${stored}, expected ${sha256}`, { expected: sha256, actual: stored });
        }
      } catch (e) {
        if (!isConfirmMismatch(e)) throw e;
        mismatch = e;
      }
      if (mismatch !== undefined || artifact === undefined) {
        if (reuploads >= policy.maxReuploads) throw mismatch;
        reuploads++;
        ticket = await replace(ticket);
        continue;
      }
      emitProgress(onProgress, { ...progress, phase: "confirming", bytes: body.sizeBytes, totalBytes: body.sizeBytes });
      created.delete(ticket.artifactId);
      untrackArtifact(ticket.artifactId);
      succeeded = true;
      return artifact;
    }
  } finally {
    if (!succeeded) {
      for (const id of created) await discardArtifact(client, id);
    }
  }
}

/** A quota error with the usage figures: taken from the error body, else asked of the service (best effort). */
async function withUsage(client: TransferClient, error: QuotaExceededError): Promise<QuotaExceededError> {
  if (error.usage !== undefined) return error;
  try {
    const usage = await client.usage({ signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) });
    return new QuotaExceededError(error.message, {
      status: error.status,
      url: error.url,
      method: error.method,
      requestId: error.requestId,
      body: error.body,
      ...(error.code !== undefined ? { code: error.code } : {}),
      usage,
      cause: error,
    });
  } catch {
    return error;
  }
}
