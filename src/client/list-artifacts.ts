import type { paths } from "../generated/schema.js";
import { HttpError } from "../errors/http-error.js";
import { normalizeArtifact, type Artifact, type ArtifactStatus, type Visibility } from "./artifact.js";
import { callApi } from "./call-api.js";
import type { ClientContext } from "./client-context.js";
import type { CallOptions } from "./client-options.js";
import { invalidResponse } from "./invalid-response.js";

/** Search and paging options of `client.list()`. Filters the server ignores are applied on the client. */
export interface ListArtifactsParams extends CallOptions {
  /** Case-insensitive substring of the name, model_name or description. */
  query?: string | undefined;
  /** Exact model id (`model_name`), e.g. `Qwen/Qwen3-0.6B`. */
  model?: string | undefined;
  /** Only `public` or only `private` artifacts. */
  visibility?: Visibility | undefined;
  /** Only `pending` or only `ready` artifacts (artifacts whose status is unknown are kept). */
  status?: ArtifactStatus | undefined;
  /** `org` (the caller's organization), `public` (the community catalog) or `all`. Server-side only. @default "all" */
  scope?: "all" | "org" | "public" | undefined;
  /** Items requested per page (1..1000). @default 100 */
  pageSize?: number | undefined;
  /** Stop after this many artifacts (no further pages are fetched). @default no limit */
  limit?: number | undefined;
}

/** One page as the service returned it, items normalised and filtered. */
export interface ArtifactPage {
  /** The matching artifacts of this page. */
  artifacts: Artifact[];
  /** The token of the next page, when the service uses continuation tokens and this is not the last page. */
  continuation_token: string | undefined;
}

type ListQuery = NonNullable<paths["/api/v1/artifacts"]["get"]["parameters"]["query"]> & { offset?: number };

const LIST_PATH = "/api/v1/artifacts";

/**
 * Whether an artifact passes the filters (the deployed service ignores them: docs/service-contract.md#list-and-paging).
 */
export function matchesListFilters(a: Artifact, p: ListArtifactsParams): boolean {
  if (p.model !== undefined && a.model_name !== p.model) return false;
  if (p.visibility !== undefined && a.visibility !== p.visibility) return false;
  if (p.status !== undefined && a.status !== null && a.status !== p.status) return false;
  if (p.query !== undefined && p.query !== "") {
    const q = p.query.toLowerCase();
    const fields = [a.name, a.model_name, a.description, typeof a.metadata["name"] === "string" ? a.metadata["name"] : null];
    if (!fields.some((f) => f !== null && f.toLowerCase().includes(q))) return false;
  }
  return true;
}

/**
 * Every page of the list, following whichever paging the service uses (docs/service-contract.md#list-and-paging): a
 * `continuation_token` (pages may be short, even empty, with a token), `total`/`offset` (page while `offset + items <
 * total`), or neither (one page). Stops when a token repeats or a page brings only artifacts already seen (a server
 * that ignores paging).
 */
export async function* listArtifactPages(ctx: ClientContext, params: ListArtifactsParams = {}): AsyncGenerator<ArtifactPage, void, undefined> {
  const seenTokens = new Set<string>();
  const seenIds = new Set<string>();
  let continuation: string | undefined;
  let offset: number | undefined;
  let yielded = 0;
  for (;;) {
    const query: ListQuery = {};
    if (params.pageSize !== undefined) query.limit = params.pageSize;
    if (params.query !== undefined && params.query !== "") query.q = params.query;
    if (params.model !== undefined) query.model = params.model;
    if (params.visibility !== undefined) query.visibility = params.visibility;
    if (params.status !== undefined) query.status = params.status;
    if (params.scope !== undefined) query.scope = params.scope;
    if (continuation !== undefined) query.continuation = continuation;
    if (offset !== undefined) query.offset = offset;
    const { data, response } = await callApi(
      ctx,
      { method: "GET", path: LIST_PATH, retry: "idempotent", signal: params.signal, timeout: params.timeout, retryOptions: params.retry },
      (signal) => ctx.api.GET(LIST_PATH, { params: { query }, signal }),
    );
    const body = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
    const items = Array.isArray(data) ? (data as unknown[]) : body["artifacts"] ?? body["items"] ?? body["data"];
    if (!Array.isArray(items)) throw invalidResponse(response, `GET ${LIST_PATH}`, "its body has no `artifacts` array", data);

    const all = items.map(normalizeArtifact).filter((a): a is Artifact => a !== undefined);
    const fresh = all.filter((a) => !seenIds.has(a.id));
    for (const a of all) seenIds.add(a.id);
    let artifacts = fresh.filter((a) => matchesListFilters(a, params));
    if (params.limit !== undefined) artifacts = artifacts.slice(0, Math.max(0, params.limit - yielded));
    yielded += artifacts.length;

    const token = typeof body["continuation_token"] === "string" && body["continuation_token"] !== "" ? body["continuation_token"] : undefined;
    yield { artifacts, continuation_token: token };
    if (params.limit !== undefined && yielded >= params.limit) return;

    if (token !== undefined) {
      if (seenTokens.has(token)) {
        throw new HttpError(`GET ${LIST_PATH} returned the continuation token of an earlier page again; stopping to avoid a loop`, {
          status: response.status,
          url: response.url,
          method: "GET",
          code: "pagination_loop",
        });
      }
      seenTokens.add(token);
      continuation = token;
      offset = undefined;
      continue;
    }
    const total = body["total"];
    const pageOffset = typeof body["offset"] === "number" ? body["offset"] : (offset ?? 0);
    // Offset paging: only when the page made progress (an ignored offset would serve the same items forever).
    if (typeof total === "number" && items.length > 0 && fresh.length > 0 && pageOffset + items.length < total) {
      offset = pageOffset + items.length;
      continue;
    }
    return;
  }
}

/** Every matching artifact, across all pages, as an async iterator. */
export async function* listArtifacts(ctx: ClientContext, params: ListArtifactsParams = {}): AsyncGenerator<Artifact, void, undefined> {
  for await (const page of listArtifactPages(ctx, params)) yield* page.artifacts;
}
