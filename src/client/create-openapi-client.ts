import * as openapiFetch from "openapi-fetch";
import type { Client, ClientOptions } from "openapi-fetch";
import type { paths } from "../generated/schema.js";

type CreateClient = (options?: ClientOptions) => Client<paths>;

/**
 * openapi-fetch's `createClient`, found whichever way the module was loaded. Its CJS build sets `exports.default`
 * without `__esModule`, so in our CJS bundle the default import is the whole exports object (`.default.default` is
 * the function); in ESM it is the function itself.
 */
function resolveCreateClient(): CreateClient {
  const ns = openapiFetch as unknown as { default?: unknown };
  const candidates = [ns.default, (ns.default as { default?: unknown } | undefined)?.default];
  const found = candidates.find((c): c is CreateClient => typeof c === "function");
  if (found === undefined) throw new TypeError("openapi-fetch does not export createClient");
  return found;
}

/** Create the openapi-fetch client for the KV Cache Store `paths` of openapi.yaml. */
export function createOpenApiClient(options: ClientOptions): Client<paths> {
  return resolveCreateClient()(options);
}
