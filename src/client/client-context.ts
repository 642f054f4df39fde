import type { Client } from "openapi-fetch";
import type { KvcdnLogger } from "../config/logger.js";
import type { paths } from "../generated/schema.js";
import type { ResolvedRetryOptions } from "../retry/retry-options.js";
import type { FetchLike } from "./client-options.js";

/** What every per-operation function needs from the client. Internal: it holds the credential. */
export interface ClientContext {
  /** The openapi-fetch client with kvcdn's middleware (auth, user agent, logs). */
  api: Client<paths>;
  /** API base URL, no trailing `/`. */
  apiUrl: string;
  /** CDN base URL, no trailing `/`. */
  cdnUrl: string;
  /** The raw fetch (no credentials added). */
  fetch: FetchLike;
  /** Whether an API key is configured. */
  hasApiKey: boolean;
  /** Values to scrub from every message (the API key). */
  secrets: ReadonlyArray<string | undefined>;
  /** Retry policy. */
  retry: ResolvedRetryOptions;
  /** Default per-attempt timeout in ms, or false. */
  timeout: number | false;
  /** Diagnostics sink. */
  logger: KvcdnLogger;
}
