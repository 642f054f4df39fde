import type { components } from "../generated/schema.js";
import { authenticate } from "./authenticate.js";
import { decodeToken, encodeToken } from "./continuation-token.js";
import { sendApiError, sendJson, type Exchange } from "./exchange.js";
import { orgUsage, toWireUsage } from "./limits.js";
import { expectNoBody } from "./read-json-body.js";
import type { StoreContext } from "./store-context.js";
import { queryInt } from "./validate-requests.js";

type Quota = components["schemas"]["Quota"];
type Identity = components["schemas"]["Identity"];
type AuditPage = components["schemas"]["AuditPage"];

/** `GET /health`: `{"status":"ok"}`, no auth. */
export async function getHealth(_ctx: StoreContext, ex: Exchange): Promise<void> {
  sendJson(ex, 200, { status: "ok" });
}

/** `GET /api/v1/usage`: the flat `Usage` of the caller's organization. */
export async function getUsage(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  sendJson(ex, 200, toWireUsage(orgUsage(ctx.artifacts.values(), principal.org), ctx.limits));
}

/**
 * `GET /api/v1/quota`: the deployed service's nested shape (`quota` and `used` counts,
 * docs/service-contract.md#quota-and-usage) plus the flat `used_bytes` / `quota_bytes`.
 */
export async function getQuota(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const usage = orgUsage(ctx.artifacts.values(), principal.org);
  const { artifactLimit, quotaBytes } = ctx.limits;
  const body: Quota = {
    customer_id: principal.org,
    quota: {
      organizations: 1,
      ...(artifactLimit === null ? {} : { artifacts: artifactLimit }),
      ...(quotaBytes === null ? {} : { storage_bytes: quotaBytes }),
    },
    used: { organizations: 1, artifacts: usage.artifactCount, storage_bytes: usage.usedBytes },
    used_bytes: usage.usedBytes,
    quota_bytes: quotaBytes,
  };
  sendJson(ex, 200, body);
}

/** `POST /api/v1/api-keys/verify`: who the key belongs to (its key id, never the key). */
export async function verifyApiKey(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  if (!(await expectNoBody(ex))) return;
  const body: Identity = { customer_id: principal.org, org_slug: principal.org, project_slug: principal.project, key_id: principal.keyId };
  sendJson(ex, 200, body);
}

/** `GET /api/v1/audit-log`: the organization's audit events, oldest first, paged with an opaque token. */
export async function listAuditEvents(ctx: StoreContext, ex: Exchange): Promise<void> {
  const principal = await authenticate(ctx, ex);
  if (!principal) return;
  const params = ex.url.searchParams;
  const limit = queryInt(params, "limit", 1, 1000) ?? 100;
  const token = params.get("continuation");
  const offset = token === null ? 0 : token.length > 1024 ? undefined : decodeToken("audit", token);
  if (Number.isNaN(limit) || offset === undefined) {
    const issues = [...(Number.isNaN(limit) ? ["limit: must be an integer from 1 to 1000"] : []),
      ...(offset === undefined ? ["continuation: not a token this log issued"] : [])];
    return sendApiError(ex, 400, "invalid_request", issues.join("; "), { details: issues });
  }
  const page = await ctx.audit.page(principal.org, offset, limit);
  const body: AuditPage = { events: page.events, ...(page.next === undefined ? {} : { continuation_token: encodeToken("audit", page.next) }) };
  sendJson(ex, 200, body);
}
