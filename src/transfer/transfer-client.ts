import type { Artifact } from "../client/artifact.js";
import type { CallOptions, FetchLike } from "../client/client-options.js";
import type { ConfirmUploadRequest } from "../client/confirm-upload.js";
import type { DownloadUrl } from "../client/create-download-url.js";
import type { UploadUrl, UploadUrlRequest } from "../client/create-upload-url.js";
import type { DeleteResult } from "../client/delete-artifact.js";
import type { ListArtifactsParams } from "../client/list-artifacts.js";
import type { PublicUrlParams } from "../client/public-url.js";
import type { Usage } from "../errors/usage.js";
import type { ResolvedRetryOptions } from "../retry/retry-options.js";

/**
 * What the transfer engine needs of an API client: the calls an upload or download makes and the settings it
 * inherits. `KvcdnClient` implements it; the engine depends on this interface only, so it never reaches for the
 * concrete class (and a test or an embedding can hand it any implementation). Every call goes to the API host
 * through the client, which alone holds the credential.
 * @example const client: TransferClient = createKvcdnClient(); await uploadArtifact({ client, file: "ctx.kv" })
 */
export interface TransferClient {
  /** The fetch for presigned storage and CDN URLs, without credentials. */
  readonly fetch: FetchLike;
  /** Whether an API key is configured (a public download asks for metadata only then). */
  readonly hasApiKey: boolean;
  /** The client's retry policy: transfers use it unless their own `retry` overrides it. */
  readonly retry: Readonly<ResolvedRetryOptions>;
  /** The client's per-attempt timeout of API calls, in ms (`false`: none). */
  readonly timeout: number | false;
  /** One artifact by id (a download's metadata, checksum and shard facts). */
  get(id: string, options?: CallOptions): Promise<Artifact>;
  /** Every artifact the caller can list (reconciling uploads, finding a shard group). */
  list(params?: ListArtifactsParams): AsyncIterable<Artifact>;
  /** Delete an artifact (the pending orphans an upload leaves). */
  delete(id: string, options?: CallOptions): Promise<DeleteResult>;
  /** Usage figures, to complete a quota error. */
  usage(options?: CallOptions): Promise<Usage>;
  /** Create a pending artifact and its presigned PUT URL; the engine calls it with `retry: 0` and retries itself. */
  createUploadUrl(body: UploadUrlRequest, options?: CallOptions): Promise<UploadUrl>;
  /** Confirm an upload; resolves to the ready artifact. */
  confirmUpload(id: string, body: ConfirmUploadRequest, options?: CallOptions): Promise<Artifact>;
  /** A presigned GET URL for a private artifact. */
  createDownloadUrl(id: string, options?: CallOptions): Promise<DownloadUrl>;
  /** The public CDN URL of `{ orgSlug, projectSlug, id }`. */
  publicUrl(params: PublicUrlParams): string;
}
