import { NetworkError } from "../errors/network-error.js";
import type { FetchLike } from "./client-options.js";
import { fetchRequest } from "./fetch-request.js";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Most redirects an API call follows. */
export const MAX_API_REDIRECTS = 5;

/**
 * Wrap `fetch` for API calls so redirects are followed by kvcdn, not the platform: the `Authorization` header goes
 * only to `apiOrigin` (never across a redirect to another host, whatever the injected fetch does), https never
 * downgrades to http, and 303 (or 301/302 after a POST) becomes a body-less GET as the fetch standard says.
 * @example const apiFetch = createApiFetch(fetch, "https://api.kvcachestore.com")
 */
export function createApiFetch(base: FetchLike, apiOrigin: string): (request: Request) => Promise<Response> {
  return async (request: Request): Promise<Response> => {
    let method = request.method;
    let body: ArrayBuffer | undefined =
      method === "GET" || method === "HEAD" || request.body === null ? undefined : await request.arrayBuffer();
    let url = request.url;
    const headers = new Headers(request.headers);
    for (let hop = 0; ; hop++) {
      const response = await fetchRequest(base, url, { method, headers, body: body ?? null, signal: request.signal, redirect: "manual" });
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null) return response;
      await response.body?.cancel().catch(() => undefined);
      if (hop >= MAX_API_REDIRECTS) {
        throw new NetworkError(`Too many redirects (more than ${MAX_API_REDIRECTS}) from ${new URL(request.url).origin}`, { url: request.url });
      }
      const next = new URL(location, url);
      if (next.protocol !== "https:" && next.protocol !== "http:") {
        throw new NetworkError(`Refusing a redirect to a ${next.protocol} URL`, { url });
      }
      if (new URL(url).protocol === "https:" && next.protocol === "http:") {
        throw new NetworkError(`Refusing a redirect from https to http (${next.host})`, { url });
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
        if (method !== "HEAD") method = "GET";
        body = undefined;
        headers.delete("content-type");
        headers.delete("content-length");
      }
      // The credential belongs to the API host alone.
      if (next.origin !== apiOrigin) headers.delete("authorization");
      url = next.href;
    }
  };
}
