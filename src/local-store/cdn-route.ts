import { UUID_PATTERN } from "./artifact-store.js";
import { sendApiError, type Exchange } from "./exchange.js";
import { serveBlob } from "./serve-blob.js";
import type { StoreContext } from "./store-context.js";

/**
 * Public CDN `GET|HEAD {cdn}/{org_slug}/{project_slug}/{artifact_id}`: the bytes of a public, ready artifact with no
 * credentials (`Range`, `ETag`, `Content-Length`, `X-Checksum-Sha256`); anything else is a 404.
 */
export async function getPublicArtifact(ctx: StoreContext, ex: Exchange): Promise<void> {
  const { org_slug: org, project_slug: project } = ex.params;
  const id = (ex.params.artifact_id ?? "").toLowerCase();
  const record = UUID_PATTERN.test(id) ? ctx.artifacts.get(id) : undefined;
  const notFound = (): void => sendApiError(ex, 404, "not_found", "Not found");
  if (!record || record.org_slug !== org || record.project_slug !== project || record.visibility !== "public" || record.status !== "ready") {
    return notFound();
  }
  const outcome = await serveBlob(ex, {
    file: ctx.artifacts.blobPath(id),
    checksum: record.checksum,
    headOnly: ex.req.method === "HEAD",
    unsatisfiable: (size) =>
      sendApiError(ex, 416, "range_not_satisfiable", `The requested range is not satisfiable (object is ${size} bytes)`, {}, {
        "content-range": `bytes */${size}`,
      }),
  });
  if (outcome === "missing") notFound();
}
