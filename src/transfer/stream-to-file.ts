import type { FetchLike } from "../client/client-options.js";
import { IntegrityError, NetworkError, PresignedUrlError, isKvcdnError, parseRetryAfter, type KvcdnError } from "../errors/index.js";
import { backoffDelay } from "../retry/backoff-delay.js";
import type { ResolvedRetryOptions } from "../retry/retry-options.js";
import { classifyAbort } from "../util/classify-abort.js";
import { deadlineSignal } from "../util/deadline-signal.js";
import { networkReason } from "../util/network-reason.js";
import { sleep } from "../util/sleep.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { transferBufferBudget } from "./byte-budget.js";
import { describeUrl, fetchWithoutCredentials } from "./fetch-without-credentials.js";
import { FileWriteFailure, PartFile } from "./part-file.js";
import { WRITE_BATCH_BYTES } from "./pipelined-writer.js";
import { emitProgress, type ProgressCallback, type TransferProgress } from "./progress.js";
import { storageError } from "./storage-error.js";
import { transferTimeoutMs, type TransferTimeoutOptions } from "./transfer-timeout.js";

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

/**
 * What one GET attempt came to, as {@link PutOutcome} is for a PUT. `ok`: every byte is in the part file. Otherwise a
 * transient failure to retry after a backoff: `freshUrl` when the URL was refused or expired, `restart` when the bytes
 * so far must be thrown away. Failures retrying cannot help are thrown instead.
 */
type GetOutcome =
  | { ok: true }
  | { ok: false; error: KvcdnError; retryAfterMs?: number | undefined; freshUrl?: boolean; restart?: boolean };

/** What the download knows about the object across attempts. */
interface ObjectState {
  /** Its full size, once known (expected, Content-Length or Content-Range). */
  total: number | undefined;
  /** Its ETag, sent back as `If-Range` so a resume never splices two versions. */
  etag: string | undefined;
  /** Whether the bytes came in more than one piece (a mismatch then earns one clean retry). */
  resumed: boolean;
  /** Headers of the last successful response. */
  headers: Headers;
}

/** The parts of a download every attempt uses. */
interface AttemptContext {
  part: PartFile;
  state: ObjectState;
  /** For messages of an `IntegrityError`. */
  expectedSha256: string | undefined;
  fetch: FetchLike | undefined;
  signal: AbortSignal | undefined;
  transferTimeout: TransferTimeoutOptions | false | undefined;
  progress: (phase: TransferProgress["phase"], bytes: number, totalBytes: number) => void;
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
  /** Runs on the verified bytes before the rename; `tempPath` holds them (read it, do not move it). */
  beforeCommit?: (result: { sha256: string; sizeBytes: number; headers: Headers; tempPath: string }) => Promise<void>;
}): Promise<StreamedFile> {
  const { dest, signal } = params;
  throwIfAborted(signal);
  const expectedSha256 = params.expectedSha256?.toLowerCase();
  // The writer holds up to two batches: reserve them before the GET, so a queue of downloads waits here and never
  // in the middle of a response.
  const releaseBuffers = await transferBufferBudget.acquire(2 * WRITE_BATCH_BYTES, signal);
  const part = await PartFile.create(dest).catch((e: unknown) => {
    releaseBuffers();
    throw e;
  });
  const progressBase = { file: dest, ...(params.artifactId ? { artifactId: params.artifactId } : {}) };
  const ctx: AttemptContext = {
    part,
    state: { total: params.expectedSize, etag: undefined, resumed: false, headers: new Headers() },
    expectedSha256,
    fetch: params.fetch,
    signal,
    transferTimeout: params.transferTimeout,
    progress: (phase, bytes, totalBytes) => emitProgress(params.onProgress, { ...progressBase, phase, bytes, totalBytes }),
  };
  try {
    let fresh = false;
    let failures = 0;
    let integrityRestarted = false;
    for (;;) {
      throwIfAborted(signal);
      const url = await params.source.url(fresh);
      fresh = false;
      const outcome = await getOnce(ctx, url).catch((e: unknown) => {
        throw e instanceof FileWriteFailure ? e.error : e;
      });
      if (!outcome.ok) {
        if (outcome.restart) await resetPart(ctx);
        const tooLong = outcome.retryAfterMs !== undefined && outcome.retryAfterMs > params.retry.maxRetryAfter;
        if (failures >= params.maxResumes || tooLong) throw outcome.error;
        failures++;
        await sleep(backoffDelay(params.retry, { attempt: failures, retryAfterMs: outcome.retryAfterMs }), signal);
        fresh = outcome.freshUrl === true;
        continue;
      }

      // Every byte is here: the hash was computed on the way in, so verifying costs nothing more.
      const sha256 = part.digest();
      const sizeBytes = part.position;
      ctx.progress("verifying", sizeBytes, sizeBytes);
      if (params.expectedSize !== undefined && sizeBytes !== params.expectedSize) {
        throw new IntegrityError(`Downloaded ${sizeBytes} bytes, expected ${params.expectedSize}`, { expected: expectedSha256 ?? "", actual: sha256 });
      }
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
        if (ctx.state.resumed && !integrityRestarted) {
          // The object may have changed between the pieces of a resumed download: one clean full retry.
          integrityRestarted = true;
          ctx.state.resumed = false;
          await resetPart(ctx);
          continue;
        }
        throw new IntegrityError(`SHA-256 mismatch: expected ${expectedSha256}, got ${sha256}`, { expected: expectedSha256, actual: sha256 });
      }
      await params.beforeCommit?.({ sha256, sizeBytes, headers: ctx.state.headers, tempPath: part.path });
      throwIfAborted(signal);
      await part.commit();
      return { path: dest, sizeBytes, sha256, headers: ctx.state.headers };
    }
  } finally {
    await part.dispose();
    releaseBuffers();
  }
}

/** Start the part file over from byte 0, forgetting the version (ETag) the bytes so far belonged to. */
async function resetPart(ctx: AttemptContext): Promise<void> {
  await ctx.part.restart();
  ctx.state.etag = undefined;
}

/**
 * One GET of the bytes still missing (a `Range` request once some arrived), streamed into the part file. Returns the
 * outcome for the caller's retry policy; throws an abort, a local file failure, storage sending too much, and
 * answers retrying cannot fix.
 */
async function getOnce(ctx: AttemptContext, url: string): Promise<GetOutcome> {
  const { part, state, signal } = ctx;
  const remaining = state.total === undefined ? 0 : state.total - part.position;
  const timeoutMs = transferTimeoutMs(ctx.transferTimeout, remaining);
  const deadline = deadlineSignal(signal, timeoutMs);
  const classify = (e: unknown) => classifyAbort(e, { signal, what: "The download", deadline: { signal: deadline.timeout, ms: timeoutMs } });
  try {
    let response: Response;
    try {
      ({ response } = await fetchWithoutCredentials({
        url,
        fetch: ctx.fetch,
        makeInit: () => ({ method: "GET", headers: rangeHeaders(part.position, state.etag), signal: deadline.signal }),
      }));
    } catch (e) {
      return requestFailed(classify(e), e, url);
    }
    const verdict = await classifyResponse(response, url, part.position, state.total);
    if (verdict !== "body") return verdict;
    await acceptBody(ctx, response);
    try {
      await streamBody(ctx, response);
    } catch (e) {
      if (e instanceof FileWriteFailure) throw e;
      // Keep what arrived: it is hashed already, and the resume asks for the bytes after it.
      if (!signal?.aborted) await part.drain();
      const classified = classify(e);
      if (isKvcdnError(classified) && (classified.name === "AbortError" || classified.name === "IntegrityError")) throw classified;
      const error = isKvcdnError(classified)
        ? classified
        : new NetworkError(`The download from ${describeUrl(url)} was interrupted: ${networkReason(e)}`, { cause: e });
      return { ok: false, error };
    }
    if (state.total !== undefined && part.position < state.total) {
      return { ok: false, error: new NetworkError(`The download from ${describeUrl(url)} ended after ${part.position} of ${state.total} bytes`) };
    }
    return { ok: true };
  } finally {
    deadline.dispose();
  }
}

/** `Range` (and `If-Range`) for the bytes after `position`; no compression, so byte offsets are the object's. */
function rangeHeaders(position: number, etag: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (position > 0) {
    headers.range = `bytes=${position}-`;
    if (etag !== undefined) headers["if-range"] = etag;
  }
  return headers;
}

/** A GET that got no answer: our deadline is retried, an abort (or another typed error) thrown, a network error retried. */
function requestFailed(classified: unknown, cause: unknown, url: string): GetOutcome {
  if (isKvcdnError(classified)) {
    if (classified.name === "TimeoutError") return { ok: false, error: classified };
    throw classified;
  }
  return { ok: false, error: new NetworkError(`The download from ${describeUrl(url)} failed: ${networkReason(cause)}`, { cause }) };
}

/**
 * What a storage answer means before its body is read: `"body"` (200, or 206 from the byte we asked for), done (416
 * once every byte is here), or a failure: 400/403 want a fresh URL, 408/429/5xx a backoff, 416 and a range from the
 * wrong byte a restart. Any other status is thrown.
 */
async function classifyResponse(response: Response, url: string, position: number, total: number | undefined): Promise<GetOutcome | "body"> {
  const { status } = response;
  if (status === 416 && total !== undefined && position === total) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: true };
  }
  if (status !== 200 && status !== 206) {
    const error = await storageError(response, url);
    if (status === 400 || status === 403) return { ok: false, error, freshUrl: true };
    if (status === 408 || status === 429 || status >= 500) return { ok: false, error, retryAfterMs: parseRetryAfter(response.headers.get("retry-after")) };
    if (status === 416) return { ok: false, error, restart: true };
    throw error;
  }
  if (status === 206) {
    const start = parseContentRangeStart(response.headers.get("content-range"));
    if (start !== position) {
      await response.body?.cancel().catch(() => undefined);
      const error = new PresignedUrlError(`Storage answered a range from byte ${start ?? "?"} instead of ${position}`, { status: 206, code: "BadRange" });
      return { ok: false, error, restart: true };
    }
  }
  return "body";
}

/** Take in what a 200 or 206 says about the object (size, version) before streaming its body. */
async function acceptBody(ctx: AttemptContext, response: Response): Promise<void> {
  const { part, state } = ctx;
  // A 200 to a Range request: the server ignored Range (or If-Range saw a change), so this is the whole object again.
  if (response.status === 200 && part.position > 0) await resetPart(ctx);
  if (response.status === 200) {
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    if (state.total === undefined && Number.isSafeInteger(length)) state.total = length;
  }
  state.total ??= parseContentRangeTotal(response.headers.get("content-range"));
  state.etag = response.headers.get("etag") ?? state.etag;
  state.headers = response.headers;
  if (part.position > 0) state.resumed = true;
}

/** Hash and write the body into the part file, refusing more bytes than the object has. */
async function streamBody(ctx: AttemptContext, response: Response): Promise<void> {
  const { part, state } = ctx;
  ctx.progress("downloading", part.position, state.total ?? part.position);
  for await (const chunk of (response.body ?? emptyBody()) as AsyncIterable<Uint8Array>) {
    await part.append(chunk);
    if (state.total !== undefined && part.position > state.total) {
      throw new IntegrityError(`Storage sent more than the expected ${state.total} bytes`, { expected: ctx.expectedSha256 ?? "", actual: "" });
    }
    ctx.progress("downloading", part.position, state.total ?? part.position);
  }
  await part.drain();
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}

function parseContentRangeStart(value: string | null): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}

function parseContentRangeTotal(value: string | null): number | undefined {
  const match = /^bytes (?:\d+-\d+|\*)\/(\d+)$/.exec(value?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}
