import type { FetchLike } from "../client/client-options.js";
import { fetchRequest } from "../client/fetch-request.js";
import { PresignedUrlError } from "../errors/index.js";

/** Headers that carry credentials: never sent to storage or the CDN, never carried across origins. */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];

/** Redirect statuses followed by hand (`redirect: "manual"`). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Most redirects followed for one storage or CDN request. */
export const MAX_REDIRECTS = 5;

/**
 * Fetch a storage (presigned) or CDN URL without credentials, following redirects by hand so no credential can
 * ride along: credential headers are stripped from every hop, a redirect to a non-HTTP scheme or from https to
 * http is refused, and at most {@link MAX_REDIRECTS} hops are followed. `makeInit` builds the request afresh for each
 * hop (a streamed body cannot be sent twice).
 *
 * With `followRedirects: false` (streamed uploads) a redirect is a `PresignedUrlError` (`UnexpectedRedirect`) instead:
 * fetch must then run with `redirect: "error"`, because in any other mode the Fetch standard clones the request, and
 * cloning tees a streamed body whose unread branch buffers the whole upload in memory. A presigned URL's signature is
 * bound to its host anyway, so a redirected PUT could not succeed.
 */
export async function fetchWithoutCredentials(params: {
  url: string;
  makeInit: () => RequestInit;
  fetch?: FetchLike | undefined;
  maxRedirects?: number;
  /** Follow redirects by hand (GET); false for a streamed request body. @default true */
  followRedirects?: boolean;
}): Promise<{ response: Response; url: string }> {
  const maxRedirects = params.maxRedirects ?? MAX_REDIRECTS;
  let url = params.url;
  for (let hop = 0; ; hop++) {
    const init = params.makeInit();
    const headers = new Headers(init.headers);
    for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    // A Request object: the client's FetchLike takes one, and `redirect: "manual"` keeps every hop in our hands.
    if (params.followRedirects === false) {
      try {
        return { response: await fetchRequest(params.fetch, url, { ...init, headers, redirect: "error", credentials: "omit" }), url };
      } catch (e) {
        const cause = (e as { cause?: { message?: unknown } } | null)?.cause;
        if (typeof cause?.message === "string" && /redirect/i.test(cause.message)) {
          throw new PresignedUrlError(`Storage redirected the upload (${describeUrl(url)}); a presigned URL is bound to its host`, {
            code: "UnexpectedRedirect",
            cause: e,
            url: describeUrl(url),
          });
        }
        throw e;
      }
    }
    const response = await fetchRequest(params.fetch, url, { ...init, headers, redirect: "manual", credentials: "omit" });
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url };
    const location = response.headers.get("location");
    await response.body?.cancel().catch(() => undefined);
    if (location === null) return { response, url };
    if (hop >= maxRedirects) {
      throw new PresignedUrlError(`Too many redirects (more than ${maxRedirects}) from ${describeUrl(params.url)}`, {
        status: response.status,
        code: "TooManyRedirects",
      });
    }
    const next = new URL(location, url);
    if (next.protocol !== "https:" && next.protocol !== "http:") {
      throw new PresignedUrlError(`Refusing a redirect to a ${next.protocol} URL`, { status: response.status, code: "BadRedirect" });
    }
    if (new URL(url).protocol === "https:" && next.protocol === "http:") {
      throw new PresignedUrlError(`Refusing a redirect from https to http (${next.host})`, { status: response.status, code: "BadRedirect" });
    }
    url = next.toString();
  }
}

/** A URL for messages: origin and path only, never the query (a presigned query string is a credential). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return "<invalid URL>";
  }
}
