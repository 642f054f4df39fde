import { KEY_USE_AUDIT_INTERVAL_MS } from "./constants.js";
import { sendApiError, type Exchange } from "./exchange.js";
import type { StoreContext } from "./store-context.js";
import type { Principal } from "./types.js";

/**
 * The principal of an API request's bearer key, or undefined after answering 401. Records `api_key.used` in the
 * key's audit log at most once an hour per key (by key id; the key itself is never written anywhere).
 */
export async function authenticate(ctx: StoreContext, ex: Exchange): Promise<Principal | undefined> {
  const principal = ctx.keys.resolve(ex.req.headers.authorization);
  if (principal === undefined) {
    const missing = ex.req.headers.authorization === undefined;
    sendApiError(ex, 401, "unauthorized", missing ? "Missing Authorization: Bearer <API key>" : "Invalid API key", {}, {
      "www-authenticate": 'Bearer realm="kvcdn"',
    });
    return undefined;
  }
  const now = ctx.now();
  const last = ctx.keyUseLoggedAt.get(principal.keyId);
  if (last === undefined || now - last >= KEY_USE_AUDIT_INTERVAL_MS) {
    ctx.keyUseLoggedAt.set(principal.keyId, now);
    await ctx.audit.append(principal.org, {
      type: "api_key.used",
      keyId: principal.keyId,
      details: { project_slug: principal.project, operation: ex.kind },
    });
  }
  return principal;
}
