import { createWriteStream } from "node:fs";
import { open, rename, stat, unlink } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UUID_PATTERN } from "./artifact-store.js";
import { fsyncDir } from "../kv/fs/atomic-file.js";
import { sendS3Error, type Exchange } from "./exchange.js";
import type { PresignCheck } from "./sigv4.js";
import { serveBlob } from "./serve-blob.js";
import type { StoreContext } from "./store-context.js";

/** S3's answer to a presigned request that also carries an Authorization header. */
function rejectSecondAuth(ex: Exchange): boolean {
  if (ex.req.headers.authorization === undefined) return false;
  sendS3Error(ex, 400, "InvalidArgument",
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
    { ArgumentName: "Authorization", ArgumentValue: "[redacted]" });
  return true;
}

function injectedExpiry(ex: Exchange): boolean {
  if (ex.fault?.action !== "expire") return false;
  sendS3Error(ex, 403, "AccessDenied", "Request has expired");
  return true;
}

/** Flip the byte at `offset` of a stored file in place and make it durable (the `corrupt-stored` fault). */
async function flipStoredByte(file: string, offset: number): Promise<void> {
  const handle = await open(file, "r+");
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Raised inside the upload pipeline when an injected `reset` fault cuts the connection. */
class InjectedReset extends Error {}

/**
 * Presigned `PUT /storage/{id}`: S3 rules in order (one auth mechanism → 400 `InvalidArgument`; expiry → 403
 * `AccessDenied` "Request has expired"; Content-Length present and equal to the declared size → else 400; SigV4
 * signature → 403 `SignatureDoesNotMatch`; single use → 403 `AccessDenied`), then the body streams to a temp file
 * under the data directory, is fsynced and renamed into place. Memory stays flat whatever the size.
 */
export async function presignedPut(ctx: StoreContext, ex: Exchange): Promise<void> {
  if (rejectSecondAuth(ex) || injectedExpiry(ex)) return;
  const id = ex.params.object_key ?? "";
  const record = UUID_PATTERN.test(id) ? ctx.artifacts.get(id) : undefined;
  const lengthHeader = ex.req.headers["content-length"];
  const contentLength = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const check = await ctx.presigner.verify({
    method: "PUT",
    rawPath: ex.rawPath,
    query: ex.url.searchParams,
    headers: ex.req.headers,
    now: ctx.now(),
    beforeSignature: (): PresignCheck | undefined => {
      if (contentLength === undefined) {
        return { ok: false, status: 400, code: "MissingContentLength", message: "You must provide the Content-Length HTTP header." };
      }
      if (record && contentLength !== record.size_bytes) {
        return contentLength > record.size_bytes
          ? { ok: false, status: 400, code: "EntityTooLarge", message: `Content-Length ${contentLength} exceeds the declared size_bytes ${record.size_bytes}` }
          : { ok: false, status: 400, code: "EntityTooSmall", message: `Content-Length ${contentLength} is less than the declared size_bytes ${record.size_bytes}` };
      }
      return undefined;
    },
  });
  if (!check.ok) return sendS3Error(ex, check.status, check.code, check.message, check.extra);
  if (!record || contentLength === undefined) {
    return sendS3Error(ex, 403, "AccessDenied", "The artifact this URL was issued for no longer exists");
  }
  const blob = ctx.artifacts.blobPath(id);
  const stored = await stat(blob).then(() => true, () => false);
  if (ctx.usedPutUrls.has(id) || record.status === "ready" || stored) {
    return sendS3Error(ex, 403, "AccessDenied", "This presigned URL has already been used; request a new one from upload-url");
  }
  ctx.usedPutUrls.add(id);

  const fault = ex.fault;
  const resetAfter = fault?.action === "reset" ? (fault.afterBytes ?? 0) : undefined;
  if (resetAfter === 0) {
    ex.req.socket.destroy();
    return;
  }
  const temp = ctx.artifacts.incomingPath(id);
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (resetAfter !== undefined && received >= resetAfter) {
        ex.req.socket.destroy();
        return callback(new InjectedReset("injected reset"));
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(ex.req, meter, createWriteStream(temp, { flags: "wx", flush: true }));
    if (received !== contentLength) throw new Error(`body ended after ${received} of ${contentLength} bytes`);
    await rename(temp, blob);
    await fsyncDir(ctx.artifacts.blobsDir);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    if (ex.req.socket.destroyed || e instanceof InjectedReset) return;
    ctx.log(`PUT ${ex.rawPath} failed: ${(e as Error).message}`);
    return sendS3Error(ex, received !== contentLength ? 400 : 500, received !== contentLength ? "IncompleteBody" : "InternalError",
      received !== contentLength ? "You did not provide the number of bytes specified by the Content-Length HTTP header." : "We encountered an internal error. Please try again.");
  }
  // Deleted while the bytes were arriving: the object has no artifact any more.
  const orphaned = await ctx.orgLocks.run(record.org_slug, async () => {
    if (ctx.artifacts.get(id)) return false;
    await ctx.artifacts.removeBlob(id);
    return true;
  });
  if (!orphaned && fault?.action === "corrupt-stored" && contentLength > 0) {
    await flipStoredByte(blob, Math.min(fault.offset ?? Math.floor(contentLength / 2), contentLength - 1));
  }
  // No ETag: hashing here would cost a second pass of CPU on every upload, and confirm-upload hashes the stored
  // object anyway (which is what catches corruption after the write).
  ex.res.writeHead(200, { "content-length": 0, "x-request-id": ex.requestId, "x-amz-request-id": ex.requestId });
  ex.res.end();
}

/**
 * Presigned `GET /storage/{id}`: one auth mechanism, expiry and signature as for PUT, then the bytes of a ready
 * artifact with `Range` support (416 `InvalidRange` past the end) and `ETag` = `"<sha256>"`.
 */
export async function presignedGet(ctx: StoreContext, ex: Exchange): Promise<void> {
  if (rejectSecondAuth(ex) || injectedExpiry(ex)) return;
  const check = await ctx.presigner.verify({
    method: "GET",
    rawPath: ex.rawPath,
    query: ex.url.searchParams,
    headers: ex.req.headers,
    now: ctx.now(),
  });
  if (!check.ok) return sendS3Error(ex, check.status, check.code, check.message, check.extra);
  const id = ex.params.object_key ?? "";
  const record = UUID_PATTERN.test(id) ? ctx.artifacts.get(id) : undefined;
  const noSuchKey = (): void => sendS3Error(ex, 404, "NoSuchKey", "The specified key does not exist.", { Key: id });
  if (!record || record.status !== "ready") return noSuchKey();
  const outcome = await serveBlob(ex, {
    file: ctx.artifacts.blobPath(id),
    checksum: record.checksum,
    unsatisfiable: (size) =>
      sendS3Error(ex, 416, "InvalidRange", "The requested range is not satisfiable", { ActualObjectSize: String(size) }, {
        "content-range": `bytes */${size}`,
      }),
  });
  if (outcome === "missing") noSuchKey();
}
