import type { FetchLike } from "../client/client-options.js";
import { NetworkError, parseRetryAfter, type KvcdnError, isKvcdnError } from "../errors/index.js";
import { classifyAbort } from "../util/classify-abort.js";
import { deadlineSignal } from "../util/deadline-signal.js";
import { networkReason } from "../util/network-reason.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { fetchWithoutCredentials } from "./fetch-without-credentials.js";
import { presignedHeaders } from "./presigned-headers.js";
import { storageError } from "./storage-error.js";
import { readBody, type UploadBody } from "./upload-body.js";

/**
 * Bytes per read when streaming a file into a PUT. Each PUT holds about two (one queued, one in the socket), reserved
 * from the shared transfer buffer budget; 256 KiB keeps a hundred concurrent PUTs small without costing throughput.
 */
export const PUT_CHUNK_BYTES = 256 * 1024;

/**
 * What one presigned PUT came to. `fresh-url`: the URL is spent or refused (S3 403/400, a dropped connection, a
 * stalled transfer): get a new URL and start over from byte 0. `backoff`: storage was busy (5xx, 429): wait and try
 * again. `never`: retrying cannot help.
 */
export type PutOutcome =
  | { ok: true; etag: string | undefined }
  | { ok: false; retry: "fresh-url" | "backoff" | "never"; error: KvcdnError; retryAfterMs?: number | undefined };

/**
 * PUT a whole file to a presigned URL: exactly `sizeBytes` bytes with that `Content-Length` (it is signed), streamed
 * from disk in {@link PUT_CHUNK_BYTES} reads (flat memory), `Content-Type: application/octet-stream` plus the service's
 * `upload_headers`, and no credential of any kind. Throws only for abort and local file errors; every HTTP or network
 * outcome is returned for the caller's retry policy.
 */
export async function putPresigned(params: {
  url: string;
  /** What to send (a whole file, or a shard assembled from a header and file ranges). */
  body: UploadBody;
  uploadHeaders?: Record<string, string> | undefined;
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  /** Abort this PUT after so many ms, or `false` for never (the caller scales it with the size). */
  timeoutMs: number | false;
  /** Called with the running count of bytes handed to the connection. */
  onBytes?: (bytes: number) => void;
}): Promise<PutOutcome> {
  const { url, body, signal } = params;
  const sizeBytes = body.sizeBytes;
  throwIfAborted(signal);
  const headers = presignedHeaders(url, params.uploadHeaders);
  headers.set("content-type", headers.get("content-type") ?? "application/octet-stream");
  headers.set("content-length", String(sizeBytes));
  const deadline = deadlineSignal(signal, params.timeoutMs);
  let fileError: unknown;
  const readers: Array<AsyncGenerator<Uint8Array, void, undefined>> = [];
  const makeBody = (): RequestInit["body"] => {
    if (sizeBytes === 0) return new Uint8Array(0);
    const chunks = readBody(body, { chunkBytes: PUT_CHUNK_BYTES, reuse: false, signal: deadline.signal });
    readers.push(chunks);
    let sent = 0;
    // A pull stream that reads only when the connection asks (high-water mark 0): one chunk queued at most.
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) {
            controller.close();
            return;
          }
          sent += next.value.length;
          params.onBytes?.(sent);
          controller.enqueue(next.value);
        } catch (e) {
          fileError = e;
          controller.error(e);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    }, { highWaterMark: 0 });
  };
  try {
    const { response } = await fetchWithoutCredentials({
      url,
      fetch: params.fetch,
      followRedirects: false,
      makeInit: () => ({ method: "PUT", headers, body: makeBody(), duplex: "half", signal: deadline.signal }) as RequestInit,
    });
    if (response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: true, etag: response.headers.get("etag") ?? undefined };
    }
    const error = await storageError(response, url);
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    if (response.status === 400 || response.status === 403) return { ok: false, retry: "fresh-url", error };
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      return { ok: false, retry: "backoff", error, retryAfterMs };
    }
    return { ok: false, retry: "never", error };
  } catch (e) {
    if (fileError !== undefined && !(isKvcdnError(fileError) && fileError.name === "AbortError")) throw fileError;
    const classified = classifyAbort(e, { signal, what: "The upload PUT", deadline: { signal: deadline.timeout, ms: params.timeoutMs } });
    if (isKvcdnError(classified) && classified.name === "AbortError") throw classified;
    if (isKvcdnError(classified)) return { ok: false, retry: "fresh-url", error: classified };
    return {
      ok: false,
      retry: "fresh-url",
      error: new NetworkError(`The upload PUT failed: ${networkReason(e)}`, { cause: e }),
    };
  } finally {
    deadline.dispose();
    // Give the body's reserved buffers back even when fetch dropped the stream without cancelling it.
    for (const chunks of readers) await chunks.return(undefined).catch(() => undefined);
  }
}
