import type { components } from "../generated/schema.js";
import { artifactIdParam } from "./artifact-id.js";
import { authenticate } from "./authenticate.js";
import { decodeToken, encodeToken } from "./continuation-token.js";
import { sendApiError, sendEmpty, sendJson, type Exchange } from "./exchange.js";
import { expectNoBody, readJsonBody } from "./read-json-body.js";
import type { StoreContext } from "./store-context.js";
import { toWireArtifact } from "./to-wire-artifact.js";
import type { ArtifactRecord, Principal } from "./types.js";
import { checkUpdateRequest, queryInt } from "./validate-requests.js";

type ArtifactPage = components["schemas"]["ArtifactPage"];

/** Public and ready: what the community catalog shows to every organization. */
const isCatalogued = (r: ArtifactRecord): boolean => r.visibility === "public" && r.status === "ready";

/** Whether `principal` may see `r`: its own organization's artifacts, and public ready ones of anyone. */
export const canSee = (r: ArtifactRecord, principal: Principal): boolean => r.org_slug === principal.org || isCatalogued(r);

const SCOPES = ["all", "org", "public"] as const;

/**
 * `GET /api/v1/artifacts`: the organization's artifacts and the public catalog, filtered (`q` over name, model and
 * description, `model`, `visibility`, `status`, `scope`) and paged in creation order with an opaque token.
 */
export async function listArtifacts(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const params = ex.url.searchParams;
  const issues: string[] = [];
  const text = (key: string, max: number): string | undefined => {
    const v = params.get(key) ?? undefined;
    if (v !== undefined && v.length > max) issues.push(`${key}: must be at most ${max} characters`);
    return v;
  };
  const choice = <T extends string>(key: string, values: readonly T[]): T | undefined => {
    const v = params.get(key) ?? undefined;
    if (v !== undefined && !values.includes(v as T)) issues.push(`${key}: must be one of ${values.join(", ")}`);
    return v as T | undefined;
  };
  const q = text("q", 256)?.toLowerCase();
  const model = text("model", 256);
  const visibility = choice("visibility", ["private", "public"] as const);
  const status = choice("status", ["pending", "ready"] as const);
  const scope = choice("scope", SCOPES) ?? "all";
  const limit = queryInt(params, "limit", 1, 1000) ?? 100;
  if (Number.isNaN(limit)) issues.push("limit: must be an integer from 1 to 1000");
  const token = text("continuation", 1024);
  const after = token === undefined ? 0 : decodeToken("artifacts", token);
  if (after === undefined) issues.push("continuation: not a token this listing issued");
  if (issues.length > 0) return sendApiError(ex, 400, "invalid_request", issues.join("; "), { details: issues });

  const matches = (r: ArtifactRecord): boolean => {
    if (r.seq <= (after ?? 0)) return false;
    const own = r.org_slug === principal.org;
    if (scope === "org" ? !own : scope === "public" ? !isCatalogued(r) : !canSee(r, principal)) return false;
    if (model !== undefined && r.model_name !== model) return false;
    if (visibility !== undefined && r.visibility !== visibility) return false;
    if (status !== undefined && r.status !== status) return false;
    if (q !== undefined && ![r.name, r.model_name, r.description ?? ""].some((s) => s.toLowerCase().includes(q))) return false;
    return true;
  };
  const page: ArtifactRecord[] = [];
  let more = false;
  for (const r of ctx.artifacts.all()) {
    if (!matches(r)) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(r);
  }
  const body: ArtifactPage = {
    artifacts: page.map((r) => toWireArtifact(r, ctx.cdnUrl)),
    total: page.length,
    limit,
    ...(more ? { continuation_token: encodeToken("artifacts", page.at(-1)!.seq) } : {}),
  };
  sendJson(ex, 200, body);
}

/** `GET /api/v1/artifacts/{id}`: one artifact of the caller's organization, or a public ready one. */
export async function getArtifact(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const id = artifactIdParam(ex);
  if (!id) return;
  const record = ctx.artifacts.get(id);
  if (!record || !canSee(record, principal)) return sendApiError(ex, 404, "not_found", "Artifact not found");
  sendJson(ex, 200, toWireArtifact(record, ctx.cdnUrl));
}

/** `PATCH /api/v1/artifacts/{id}`: change visibility, name or description of an artifact the caller owns. */
export async function updateArtifact(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const id = artifactIdParam(ex);
  if (!id) return;
  const body = await readJsonBody(ex, { maxBytes: ctx.maxJsonBytes });
  if (!body) return;
  const checked = checkUpdateRequest(body);
  if (!checked.ok) return sendApiError(ex, 400, "invalid_request", checked.issues.join("; "), { details: checked.issues });
  const changes = checked.value;
  const result = await ctx.orgLocks.run(principal.org, async () => {
    const current = ctx.artifacts.get(id);
    if (!current || current.org_slug !== principal.org) return undefined;
    const next: ArtifactRecord = { ...current, ...changes, updated_at: new Date(ctx.now()).toISOString() };
    await ctx.artifacts.save(next);
    return { before: current, after: next };
  });
  if (!result) return sendApiError(ex, 404, "not_found", "Artifact not found");
  const { before, after } = result;
  if (before.visibility !== after.visibility) {
    await ctx.audit.append(principal.org, {
      type: "artifact.visibility_changed",
      artifactId: id,
      keyId: principal.keyId,
      details: { from: before.visibility, to: after.visibility },
    });
  }
  const renamed = Object.fromEntries(
    (["name", "description"] as const).filter((k) => before[k] !== after[k]).map((k) => [k, { from: before[k], to: after[k] }]),
  );
  if (Object.keys(renamed).length > 0) {
    await ctx.audit.append(principal.org, { type: "artifact.updated", artifactId: id, keyId: principal.keyId, details: renamed });
  }
  sendJson(ex, 200, toWireArtifact(after, ctx.cdnUrl));
}

/** `DELETE /api/v1/artifacts/{id}`: remove the metadata (and the object) at once; usage drops immediately. */
export async function deleteArtifact(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const id = artifactIdParam(ex);
  if (!id) return;
  if (!(await expectNoBody(ex))) return;
  const removed = await ctx.orgLocks.run(principal.org, async () => {
    const current = ctx.artifacts.get(id);
    if (!current || current.org_slug !== principal.org) return undefined;
    await ctx.artifacts.remove(id);
    ctx.usedPutUrls.delete(id);
    return current;
  });
  if (!removed) return sendApiError(ex, 404, "not_found", "Artifact not found");
  await ctx.audit.append(principal.org, {
    type: "artifact.deleted",
    artifactId: id,
    keyId: principal.keyId,
    details: { status: removed.status, size_bytes: removed.size_bytes },
  });
  sendEmpty(ex, 204);
}
