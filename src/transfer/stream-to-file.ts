import type { FetchLike } from "../client/client-options.js";
import { createHash, randomBytes, type Hash } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { IntegrityError, NetworkError, PresignedUrlError, isKvcdnError, parseRetryAfter, type KvcdnError } from "../errors/index.js";
import { classifyAbort } from "../util/classify-abort.js";
import { deadlineSignal } from "../util/deadline-signal.js";
import { networkReason } from "../util/network-reason.js";
import { sleep } from "../util/sleep.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { backoffDelay } from "../retry/backoff-delay.js";
import type { ResolvedRetryOptions } from "../retry/retry-options.js";
import { describeUrl, fetchWithoutCredentials } from "./fetch-without-credentials.js";
import { emitProgress, type ProgressCallback } from "./progress.js";
import { PipelinedWriter } from "./pipelined-writer.js";
import { storageError } from "./storage-error.js";
import { transferTimeoutMs, type TransferTimeoutOptions } from "./transfer-timeout.js";
import { asLocalFileError } from "../util/as-local-file-error.js";

/** Where the bytes of a download come from. */
export interface ByteSource {
  /** A URL to GET. `fresh` is true when the previous URL was refused or expired; sources that cannot renew return the same URL. */
  url: (fresh: boolean) => Promise<string>;
}

/** What a finished download wrote. */
export interface StreamedFile {
  /** The destination path (now holding the verified bytes). */
  path: string;
  sizeBytes: number;
  /** Lowercase hex SHA-256, computed while streaming. */
  sha256: string;
  /** Headers of the last successful response (e.g. `x-checksum-sha256`). */
  headers: Headers;
}

/** The temp-file name a download streams into, beside its destination: `.<name>.<random>.part`. */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.part`);
}

/**
 * GET a source into `dest` safely: stream into a temp file beside it, SHA-256 while streaming, resume with `Range`
 * after an interruption (a fresh URL when the old one is refused), verify size and hash, fsync and rename. On any
 * failure the temp file is removed and `dest` is untouched. `beforeCommit` runs after verification and before the
 * rename (for example to stage a sidecar); a throw there also leaves `dest` untouched.
 */
export async function streamToFile(params: {
  source: ByteSource;
  dest: string;
  expectedSha256?: string | undefined;
  expectedSize?: number | undefined;
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressCallback | undefined;
  artifactId?: string | undefined;
  retry: ResolvedRetryOptions;
  /** Resumes (or restarts) after interruptions, refusals and busy answers. */
  maxResumes: number;
  transferTimeout: TransferTimeoutOptions | false | undefined;
  beforeCommit?: (result: { sha256: string; sizeBytes: number; headers: Headers }) => Promise<void>;
}): Promise<StreamedFile> {
  const { dest, signal, onProgress } = params;
  throwIfAborted(signal);
  const expectedSha256 = params.expectedSha256?.toLowerCase();
  const temp = tempPathFor(dest);
  const handle = await open(temp, "wx").catch((e: unknown) => {
    throw asLocalFileError(e, dest, "create a temporary file beside");
  });
  const writer = new PipelinedWriter(handle);
  let closed = false;
  let committed = false;
  const progressBase = { file: dest, ...(params.artifactId ? { artifactId: params.artifactId } : {}) };
  try {
    let hash: Hash = createHash("sha256");
    const written = () => writer.position;
    const drain = () =>
      writer.drain().catch((e: unknown) => {
        throw new FileWriteFailure(asLocalFileError(e, dest, "write"));
      });
    let total = params.expectedSize;
    let etag: string | undefined;
    let fresh = false;
    let failures = 0;
    let resumed = false;
    let integrityRestarted = false;
    let lastHeaders = new Headers();
    const restart = async () => {
      hash = createHash("sha256");
      await writer.reset();
      etag = undefined;
      await handle.truncate(0).catch((e: unknown) => {
        throw asLocalFileError(e, dest, "truncate the temporary file for");
      });
    };
    const fail = async (error: KvcdnError, retryAfterMs?: number): Promise<void> => {
      if (failures >= params.maxResumes) throw error;
      if (retryAfterMs !== undefined && retryAfterMs > params.retry.maxRetryAfter) throw error;
      await sleep(backoffDelay(params.retry, { attempt: failures + 1, retryAfterMs }), signal);
      failures++;
    };
    for (;;) {
      throwIfAborted(signal);
      const url = await params.source.url(fresh);
      fresh = false;
      const remaining = total === undefined ? undefined : total - written();
      const timeoutMs = transferTimeoutMs(params.transferTimeout, remaining ?? 0);
      const deadline = deadlineSignal(signal, timeoutMs);
      try {
        const headers: Record<string, string> = { "accept-encoding": "identity" };
        if (written() > 0) {
          headers.range = `bytes=${written()}-`;
          if (etag !== undefined) headers["if-range"] = etag;
        }
        const { response } = await fetchWithoutCredentials({
          url,
          fetch: params.fetch,
          makeInit: () => ({ method: "GET", headers, signal: deadline.signal }),
        });
        if (response.status === 416 && total !== undefined && written() === total) {
          await response.body?.cancel().catch(() => undefined);
        } else if (response.status !== 200 && response.status !== 206) {
          const error = await storageError(response, url);
          if (response.status === 400 || response.status === 403) {
            fresh = true;
            await fail(error);
          } else if (response.status === 408 || response.status === 429 || response.status >= 500) {
            await fail(error, parseRetryAfter(response.headers.get("retry-after")));
          } else if (response.status === 416) {
            await restart();
            await fail(error);
          } else {
            throw error;
          }
          continue;
        } else {
          if (response.status === 200 && written() > 0) await restart(); // the server ignored Range (or If-Range saw a change)
          if (response.status === 206) {
            const start = parseContentRangeStart(response.headers.get("content-range"));
            if (start !== written()) {
              await response.body?.cancel().catch(() => undefined);
              await restart();
              await fail(new PresignedUrlError(`Storage answered a range from byte ${start ?? "?"} instead of ${written()}`, { status: 206, code: "BadRange" }));
              continue;
            }
          } else {
            const length = Number(response.headers.get("content-length") ?? Number.NaN);
            if (total === undefined && Number.isSafeInteger(length)) total = length;
          }
          if (total === undefined) {
            const full = parseContentRangeTotal(response.headers.get("content-range"));
            if (full !== undefined) total = full;
          }
          etag = response.headers.get("etag") ?? etag;
          lastHeaders = response.headers;
          if (written() > 0) resumed = true;
          emitProgress(onProgress, { ...progressBase, phase: "downloading", bytes: written(), totalBytes: total ?? written() });
          try {
            for await (const chunk of (response.body ?? emptyBody()) as AsyncIterable<Uint8Array>) {
              hash.update(chunk);
              await writer.push(chunk).catch((e: unknown) => {
                throw new FileWriteFailure(asLocalFileError(e, dest, "write"));
              });
              if (total !== undefined && written() > total) {
                throw new IntegrityError(`Storage sent more than the expected ${total} bytes`, {
                  expected: expectedSha256 ?? "",
                  actual: "",
                });
              }
              emitProgress(onProgress, { ...progressBase, phase: "downloading", bytes: written(), totalBytes: total ?? written() });
            }
            await drain();
          } catch (e) {
            if (e instanceof FileWriteFailure) throw e.error;
            // Keep what arrived: it is hashed already, and the resume asks for the bytes after it.
            if (!signal?.aborted) await drain();
            const classified = classifyAbort(e, { signal, what: "The download", deadline: { signal: deadline.timeout, ms: timeoutMs } });
            if (isKvcdnError(classified) && (classified.name === "AbortError" || classified.name === "IntegrityError")) throw classified;
            await fail(
              isKvcdnError(classified)
                ? classified
                : new NetworkError(`The download from ${describeUrl(url)} was interrupted: ${networkReason(e)}`, { cause: e }),
            );
            continue;
          }
          if (total !== undefined && written() < total) {
            await fail(new NetworkError(`The download from ${describeUrl(url)} ended after ${written()} of ${total} bytes`));
            continue;
          }
        }
      } catch (e) {
        if (e instanceof FileWriteFailure) throw e.error;
        const classified = classifyAbort(e, { signal, what: "The download", deadline: { signal: deadline.timeout, ms: timeoutMs } });
        if (isKvcdnError(classified)) {
          if (classified.name === "TimeoutError") {
            await fail(classified);
            continue;
          }
          throw classified;
        }
        await fail(new NetworkError(`The download from ${describeUrl(url)} failed: ${networkReason(e)}`, { cause: e }));
        continue;
      } finally {
        deadline.dispose();
      }

      // Every byte is here: the hash was computed on the way in, so verifying costs nothing more.
      const sha256 = hash.digest("hex");
      emitProgress(onProgress, { ...progressBase, phase: "verifying", bytes: written(), totalBytes: written() });
      if (params.expectedSize !== undefined && written() !== params.expectedSize) {
        throw new IntegrityError(`Downloaded ${written()} bytes, expected ${params.expectedSize}`, { expected: expectedSha256 ?? "", actual: sha256 });
      }
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
        if (resumed && !integrityRestarted) {
          // The object may have changed between the pieces of a resumed download: one clean full retry.
          integrityRestarted = true;
          resumed = false;
          await restart();
          continue;
        }
        throw new IntegrityError(`SHA-256 mismatch: expected ${expectedSha256}, got ${sha256}`, { expected: expectedSha256, actual: sha256 });
      }
      await params.beforeCommit?.({ sha256, sizeBytes: written(), headers: lastHeaders });
      throwIfAborted(signal);
      await handle.sync().catch((e: unknown) => {
        throw asLocalFileError(e, dest, "flush");
      });
      closed = true;
      await handle.close().catch((e: unknown) => {
        throw asLocalFileError(e, dest, "close");
      });
      await rename(temp, dest).catch((e: unknown) => {
        throw asLocalFileError(e, dest, "move the download into");
      });
      committed = true;
      await syncDirectory(dirname(dest));
      return { path: dest, sizeBytes: written(), sha256, headers: lastHeaders };
    }
  } finally {
    await writer.settle();
    if (!closed) await handle.close().catch(() => undefined);
    if (!committed) await unlink(temp).catch(() => undefined);
  }
}

/** A local write failure, kept apart from network failures so it is never retried. */
class FileWriteFailure {
  constructor(readonly error: unknown) {}
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}

/** fsync a directory so a rename survives a crash (best effort: not every platform allows it). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}

function parseContentRangeStart(value: string | null): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}

function parseContentRangeTotal(value: string | null): number | undefined {
  const match = /^bytes (?:\d+-\d+|\*)\/(\d+)$/.exec(value?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}
