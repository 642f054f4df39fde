import { redactDeep } from "../errors/redact.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { invalidResponse } from "./invalid-response.js";

/** What the service says about the credential (`POST /api/v1/api-keys/verify`), passed through as it answered. */
export interface Identity {
  /** The tenant the key belongs to. */
  customer_id?: string;
  /** The organization's slug, when the service says. */
  org_slug?: string;
  /** The project's slug, when the service says. */
  project_slug?: string;
  /** A non-secret identifier of the key, when the service says. */
  key_id?: string;
  /** Anything else the service sent. */
  [key: string]: unknown;
}

/**
 * Who the configured credential belongs to. An invalid key gives `AuthError`. No body, no Content-Type
 * (docs/service-contract.md#request-bodies).
 */
export async function verifyApiKey(ctx: ClientContext, options: CallOptions = {}): Promise<Identity> {
  const path = "/api/v1/api-keys/verify";
  const { data, response } = await callApi(
    ctx,
    { method: "POST", path, retry: "idempotent", signal: options.signal, timeout: options.timeout, retryOptions: options.retry },
    (signal) => ctx.api.POST(path, { signal }),
  );
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw invalidResponse(response, `POST ${path}`, "its body is not a JSON object", data);
  }
  return redactDeep(data as Identity, ctx.secrets);
}
