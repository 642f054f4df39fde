import { open } from "node:fs/promises";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { parseRange } from "./byte-range.js";
import { BLOB_CHUNK_BYTES } from "./constants.js";
import type { Exchange } from "./exchange.js";

/** Write one chunk honouring backpressure; false once the client has gone. */
function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    if (res.write(chunk)) return resolve(true);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

/** Destroy the connection once everything written so far has reached the kernel (a reset mid-body). */
async function cutAfterFlush(ex: Exchange): Promise<void> {
  const socket = ex.req.socket;
  // Socket writes complete in order: when this empty write is done, the headers and body before it are out.
  await new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
  socket.destroy();
}

/** Whether the bytes could be served; `missing` when the object is gone (the caller answers 404). */
export type ServeOutcome = "served" | "missing";

/**
 * Stream a stored object (or the `Range` asked for) with `Content-Length`, `ETag`, `Accept-Ranges` and
 * `X-Checksum-Sha256`, in 1 MiB reads with backpressure. Applies the `corrupt-served` and `reset` faults of the
 * exchange. A range past the end goes to `unsatisfiable` (the caller's error shape, S3 XML or JSON).
 */
export async function serveBlob(
  ex: Exchange,
  params: {
    file: string;
    checksum: string;
    headOnly?: boolean;
    unsatisfiable: (size: number) => void;
  },
): Promise<ServeOutcome> {
  const handle = await open(params.file, "r").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (!handle) return "missing";
  try {
    const { size } = await handle.stat();
    const range = parseRange(ex.req.headers.range, size);
    if (range === "unsatisfiable") {
      params.unsatisfiable(size);
      return "served";
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const length = Math.max(0, end - start + 1);
    const headers: OutgoingHttpHeaders = {
      "content-type": "application/octet-stream",
      "content-length": length,
      "accept-ranges": "bytes",
      etag: `"${params.checksum}"`,
      "x-checksum-sha256": params.checksum,
      "x-request-id": ex.requestId,
    };
    if (range) headers["content-range"] = `bytes ${start}-${end}/${size}`;
    ex.res.writeHead(range ? 206 : 200, headers);
    if (params.headOnly === true || length === 0) {
      ex.res.end();
      return "served";
    }

    const fault = ex.fault;
    const resetAfter = fault?.action === "reset" ? (fault.afterBytes ?? 0) : undefined;
    const corruptAt =
      fault?.action === "corrupt-served" ? Math.min(Math.max(fault.offset ?? start + Math.floor(length / 2), start), end) : undefined;
    let position = start;
    let sent = 0;
    if (resetAfter === 0) {
      ex.res.flushHeaders();
      await cutAfterFlush(ex);
      return "served";
    }
    for await (const piece of handle.createReadStream({ start, end, highWaterMark: BLOB_CHUNK_BYTES, autoClose: false }) as AsyncIterable<Buffer>) {
      let chunk = piece;
      if (corruptAt !== undefined && corruptAt >= position && corruptAt < position + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[corruptAt - position] = chunk[corruptAt - position]! ^ 0xff;
      }
      position += piece.length;
      if (resetAfter !== undefined && sent + chunk.length >= resetAfter) {
        if (await write(ex.res, chunk.subarray(0, resetAfter - sent))) await cutAfterFlush(ex);
        return "served";
      }
      sent += chunk.length;
      if (!(await write(ex.res, chunk))) return "served";
    }
    ex.res.end();
    return "served";
  } finally {
    await handle.close().catch(() => undefined);
  }
}
