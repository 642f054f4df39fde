import type { Client } from "openapi-fetch";
import { defaultLogger } from "../config/logger.js";
import { resolveConfig, type ResolvedConfig } from "../config/resolve-config.js";
import type { paths } from "../generated/schema.js";
import { redact } from "../errors/redact.js";
import { createApiFetch } from "./api-fetch.js";
import { createApiMiddleware } from "./api-middleware.js";
import { createOpenApiClient } from "./create-openapi-client.js";
import type { Artifact, Visibility } from "./artifact.js";
import type { ClientContext } from "./client-context.js";
import { DEFAULT_TIMEOUT_MS, type CallOptions, type FetchLike, type KvcdnClientOptions } from "./client-options.js";
import { resolveRetryOptions, type ResolvedRetryOptions } from "../retry/retry-options.js";
import { confirmUpload, type ConfirmUploadRequest } from "./confirm-upload.js";
import { createDownloadUrl, type DownloadUrl } from "./create-download-url.js";
import { createUploadUrl, type UploadUrl, type UploadUrlRequest } from "./create-upload-url.js";
import { deleteArtifact, type DeleteResult } from "./delete-artifact.js";
import { getArtifact } from "./get-artifact.js";
import { getUsage } from "./get-usage.js";
import { listArtifactPages, listArtifacts, type ArtifactPage, type ListArtifactsParams } from "./list-artifacts.js";
import { publicUrl, type PublicUrlParams } from "./public-url.js";
import { setVisibility } from "./set-visibility.js";
import type { Usage } from "../errors/usage.js";
import { verifyApiKey, type Identity } from "./verify-api-key.js";
import { downloadArtifact } from "../transfer/download-artifact.js";
import type { DownloadOptions, DownloadResult, DownloadSource } from "../transfer/download-options.js";
import { uploadArtifact, type UploadedArtifact } from "../transfer/upload-artifact.js";
import type { UploadOptions } from "../transfer/upload-options.js";
import type { TransferClient } from "../transfer/transfer-client.js";

/**
 * The typed KV Cache Store client. Create it with {@link createKvcdnClient}. Every method takes `signal` and
 * `timeout`, throws typed kvcdn errors (`NotFoundError`, `AuthError`, `RateLimitError`, …) and never exposes the key.
 * Each method is a thin call into one per-operation module (src/client/<operation>.ts).
 * @example const client = createKvcdnClient(); for await (const a of client.list({ model: "Qwen/Qwen3-0.6B" })) console.log(a.id)
 */
export class KvcdnClient implements TransferClient {
  /** Holds the credential; a private field so it never shows in `console.log(client)` or JSON. */
  readonly #ctx: ClientContext;
  /** The settings in force (without the key) and where each came from. */
  readonly config: Readonly<Omit<ResolvedConfig, "apiKey" | "file">>;
  /**
   * The raw openapi-fetch client for every route of openapi.yaml, with kvcdn's auth, user agent and logging
   * middleware. It returns `{ data, error, response }` and neither retries nor throws typed errors.
   * @example const { data, error } = await client.api.GET("/api/v1/quota")
   */
  readonly api: Client<paths>;

  constructor(options: KvcdnClientOptions = {}) {
    const logger = options.logger ?? defaultLogger;
    const resolved = resolveConfig({
      apiUrl: options.apiUrl,
      apiKey: options.apiKey,
      cdnUrl: options.cdnUrl,
      env: options.env,
      configPath: options.configPath,
      logger,
    });
    const { apiKey, file: _file, ...config } = resolved;
    this.config = Object.freeze(config);
    const baseFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const apiOrigin = new URL(resolved.apiUrl).origin;
    const api = createOpenApiClient({ baseUrl: resolved.apiUrl, fetch: createApiFetch(baseFetch, apiOrigin) });
    api.use(createApiMiddleware({ apiOrigin, apiKey, logger }));
    this.api = api;
    this.#ctx = {
      api,
      apiUrl: resolved.apiUrl,
      cdnUrl: resolved.cdnUrl,
      fetch: baseFetch,
      hasApiKey: apiKey !== undefined,
      secrets: [apiKey],
      retry: resolveRetryOptions(options.retry),
      timeout: options.timeout === undefined ? DEFAULT_TIMEOUT_MS : options.timeout,
      logger,
    };
  }

  /** API base URL in force, without a trailing `/`. */
  get apiUrl(): string {
    return this.#ctx.apiUrl;
  }

  /** CDN base URL in force, without a trailing `/`. */
  get cdnUrl(): string {
    return this.#ctx.cdnUrl;
  }

  /** Whether an API key is configured (calls other than `publicUrl` need one). */
  get hasApiKey(): boolean {
    return this.#ctx.hasApiKey;
  }

  /** The injected (or global) fetch, without credentials: for presigned storage and CDN URLs. */
  get fetch(): FetchLike {
    return this.#ctx.fetch;
  }

  /** The retry policy in force (calls and transfers use it unless they give their own `retry`). */
  get retry(): Readonly<ResolvedRetryOptions> {
    return this.#ctx.retry;
  }

  /** Default per-attempt timeout of API calls, in ms (`false`: none). */
  get timeout(): number | false {
    return this.#ctx.timeout;
  }

  /**
   * Scrub the configured key (and any key-shaped string or Bearer token) from text before showing or logging it.
   * @example console.error(client.redact(String(error)))
   */
  redact(text: string): string {
    return redact(text, this.#ctx.secrets);
  }

  /**
   * Every matching artifact across all pages (continuation tokens, offset paging or one page), as an async iterator.
   * Filters the service ignores are applied locally.
   * @example for await (const a of client.list({ query: "system prompt", visibility: "public" })) console.log(a.name)
   */
  list(params: ListArtifactsParams = {}): AsyncGenerator<Artifact, void, undefined> {
    return listArtifacts(this.#ctx, params);
  }

  /**
   * The list page by page, as the service returned it (filtered).
   * @example for await (const page of client.listPages({ pageSize: 50 })) console.log(page.artifacts.length)
   */
  listPages(params: ListArtifactsParams = {}): AsyncGenerator<ArtifactPage, void, undefined> {
    return listArtifactPages(this.#ctx, params);
  }

  /**
   * Every matching artifact across all pages, as an array.
   * @example const mine = await client.listAll({ model: "Qwen/Qwen3-0.6B" })
   */
  async listAll(params: ListArtifactsParams = {}): Promise<Artifact[]> {
    const out: Artifact[] = [];
    for await (const artifact of listArtifacts(this.#ctx, params)) out.push(artifact);
    return out;
  }

  /**
   * One artifact by id (falls back to scanning the list where the service has no GET-by-id route).
   * @example const a = await client.get(id, { timeout: 5000 })
   */
  get(id: string, options: CallOptions = {}): Promise<Artifact> {
    return getArtifact(this.#ctx, id, options);
  }

  /**
   * Make an artifact public or private; resolves to the updated artifact.
   * @example await client.setVisibility(id, "public")
   */
  setVisibility(id: string, visibility: Visibility, options: CallOptions = {}): Promise<Artifact> {
    return setVisibility(this.#ctx, id, visibility, options);
  }

  /**
   * Delete an artifact. Resolves to `{ id, deleted: true }`; an unknown id is `NotFoundError`.
   * @example await client.delete(id)
   */
  delete(id: string, options: CallOptions = {}): Promise<DeleteResult> {
    return deleteArtifact(this.#ctx, id, options);
  }

  /**
   * Storage usage: `{ used_bytes, quota_bytes, artifact_count, artifact_limit }` from `/usage` or `/quota`.
   * @example const { used_bytes, quota_bytes } = await client.usage()
   */
  usage(options: CallOptions = {}): Promise<Usage> {
    return getUsage(this.#ctx, options);
  }

  /**
   * What the service says about the credential (`customer_id`, …).
   * @example const { customer_id } = await client.whoami()
   */
  whoami(options: CallOptions = {}): Promise<Identity> {
    return verifyApiKey(this.#ctx, options);
  }

  /**
   * Create a pending artifact and its presigned PUT URL. Not retried except on 429 / 503 with `Retry-After`.
   * @example const { artifact_id, url, upload_headers } = await client.createUploadUrl({ model_name, dtype: "F16", size_bytes, checksum })
   */
  createUploadUrl(body: UploadUrlRequest, options: CallOptions = {}): Promise<UploadUrl> {
    return createUploadUrl(this.#ctx, body, options);
  }

  /**
   * Confirm an upload (size and SHA-256 checked by the service); resolves to the ready artifact.
   * @example const ready = await client.confirmUpload(id, { size_bytes, checksum })
   */
  confirmUpload(id: string, body: ConfirmUploadRequest, options: CallOptions = {}): Promise<Artifact> {
    return confirmUpload(this.#ctx, id, body, options);
  }

  /**
   * A presigned GET URL for a private artifact of the caller's organization.
   * @example const { download_url, checksum } = await client.createDownloadUrl(id)
   */
  createDownloadUrl(id: string, options: CallOptions = {}): Promise<DownloadUrl> {
    return createDownloadUrl(this.#ctx, id, options);
  }

  /**
   * Upload a `.kv` file (sidecar facts, one SHA-256 pass, presigned PUT, confirm) with recovery and clean-up; resolves
   * to the ready artifact. Delegates to `uploadArtifact` (src/transfer/).
   * @example const artifact = await client.upload("ctx.kv", { name: "Qwen system prompt", onProgress: console.log })
   */
  upload(path: string, options: UploadOptions = {}): Promise<UploadedArtifact> {
    return uploadArtifact({ ...options, client: this, file: path });
  }

  /**
   * Download an artifact (an id, a public CDN URL, or `{ orgSlug, projectSlug, id }`) to a file or into a directory,
   * verified and atomic. Delegates to `downloadArtifact` (src/transfer/).
   * @example const { path, sha256 } = await client.download(id, "./caches/")
   */
  download(source: DownloadSource, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    return downloadArtifact({ ...options, client: this, source, dest });
  }

  /**
   * The public CDN URL `{cdn}/{org}/{project}/{id}` (no request is made).
   * @example client.publicUrl({ orgSlug: "acme", projectSlug: "chat", id })
   */
  publicUrl(params: PublicUrlParams): string {
    return publicUrl(params, this.#ctx.cdnUrl);
  }
}
