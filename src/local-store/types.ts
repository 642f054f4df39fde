import type { components } from "../generated/schema.js";
import type { LocalStoreFaults } from "./faults.js";
import type { RequestLog } from "./request-log.js";

/** Wire shapes from openapi.yaml (snake_case, as on the wire). */
export type WireArtifact = components["schemas"]["Artifact"];
/** Free-form artifact metadata, stored and returned unchanged. */
export type ArtifactMetadata = components["schemas"]["ArtifactMetadata"];

/** An extra API key and the organization and project it acts for. */
export interface ApiKeyGrant {
  /** The bearer token, e.g. `kv_` + 64 hex (any non-empty token without whitespace is accepted). */
  key: string;
  /** Organization slug (tenant). Artifacts of other organizations are invisible unless public and ready. */
  org: string;
  /** Project slug; uploads made with this key land in this project. */
  project: string;
}

/** Options of {@link startLocalStore}. Every limit is per organization. */
export interface LocalStoreOptions {
  /** TCP port; 0 picks a free one. @default 0 (the CLI uses 8787) */
  port?: number;
  /** Interface to bind. Anything but loopback exposes the store to the network. @default "127.0.0.1" */
  host?: string;
  /**
   * Directory holding `blobs/`, `artifacts/`, `audit/` and `keys.json`; created if missing and reused on restart.
   * @default a fresh temp directory, removed by close()
   */
  dataDir?: string;
  /** Extra API keys besides the dev key (not persisted; pass them on every start). @default [] */
  apiKeys?: ApiKeyGrant[];
  /** Artifacts (pending + ready) an organization may hold; null for no limit. @default 20 (free plan) */
  artifactLimit?: number | null;
  /** Storage quota in bytes (ready bytes plus the declared size of pending uploads); null for none. @default 1 TiB */
  quotaBytes?: number | null;
  /** Largest declared size one presigned PUT may carry. @default 5 GiB */
  maxPutBytes?: number;
  /** Lifetime of presigned URLs in milliseconds (rounded up to whole seconds). @default 900000 (15 min) */
  presignTtlMs?: number;
  /** Public CDN base URL reported in `public_url` (no trailing slash). @default `${url}/cdn` */
  cdnBaseUrl?: string;
  /** Clock in epoch milliseconds: timestamps, URL signing and expiry checks. @default Date.now */
  now?: () => number;
  /** Largest JSON request body in bytes. @default 1048576 (1 MiB) */
  maxJsonBytes?: number;
  /**
   * Behave like the deployed backend (see docs/service-contract.md#upload-url): keep only its own fields of an upload
   * (`model_name`, `name`, `dtype`, `num_tokens`, sizes, checksum) and discard `metadata` and `description`, so
   * clients can be tested against what that service really keeps.
   * @default false
   */
  dropMetadata?: boolean;
  /** Allow fault injection through `store.faults` (loopback hosts only). @default false */
  faults?: boolean;
  /** Receives one line per request and warnings (the CLI writes them to stderr). @default no logging */
  log?: (line: string) => void;
  /** How many requests `store.requests` keeps (oldest dropped first). @default 10000 */
  requestLogLimit?: number;
}

/** A running local store. */
export interface LocalStore {
  /** API base URL, e.g. `http://127.0.0.1:8787` (routes under `/api/v1`, presigned storage under `/storage`). */
  url: string;
  /** Public CDN base URL: `${url}/cdn` unless `cdnBaseUrl` was given. */
  cdnUrl: string;
  /** The dev API key (`kv_` + 64 hex), created on first start in `dataDir` and reused afterwards. */
  apiKey: string;
  /** Organization of the dev key (`dev`). */
  orgSlug: string;
  /** Project of the dev key (`default`). */
  projectSlug: string;
  /** The data directory in use. */
  dataDir: string;
  /** Host and port actually bound. */
  host: string;
  port: number;
  /** Fault injection for tests; throws unless the store was started with `faults: true` on a loopback host. */
  faults: LocalStoreFaults;
  /** Every request received, by kind, with headers minus secrets (for asserting what clients sent). */
  requests: RequestLog;
  /** The store's clock (the `now` option). */
  now: () => number;
  /** Stop listening, cut open connections, wait for in-flight work to settle (and remove a temp `dataDir`). */
  close(): Promise<void>;
}

/** An artifact as persisted in `artifacts/{id}.json` (wire names; `seq` orders listings). */
export interface ArtifactRecord {
  /** Record format version. */
  v: 1;
  id: string;
  /** Creation order across the store; continuation tokens point at it. */
  seq: number;
  org_slug: string;
  project_slug: string;
  name: string;
  description: string | null;
  model_name: string;
  dtype: string;
  storage_dtype: string | null;
  num_tokens: number;
  num_layers: number | null;
  quantized: boolean | null;
  size_bytes: number;
  checksum: string;
  status: "pending" | "ready";
  visibility: "private" | "public";
  metadata?: ArtifactMetadata;
  created_at: string;
  updated_at: string;
  /** Non-secret id of the key that created it. */
  created_by: string;
}

/** The organization and project a request acts for, resolved from its bearer key. */
export interface Principal {
  org: string;
  project: string;
  /** Non-secret key id (a SHA-256 prefix of the key). */
  keyId: string;
}
