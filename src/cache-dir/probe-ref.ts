import type { Artifact, KvcdnClient } from "../client/index.js";
import { isAbortError } from "../errors/abort-error.js";
import { fetchWithoutCredentials } from "../transfer/fetch-without-credentials.js";
import type { FetchCacheOptions } from "./cache-dir-options.js";
import type { CacheRef } from "./parse-cache-ref.js";

/** What the service says a reference names now. */
export interface RefProbe {
  /** The SHA-256 the service gives for it, when it gives one. */
  sha256: string | undefined;
  /** The artifact record, when the caller may see it. */
  artifact: Artifact | undefined;
}

/**
 * Ask the service what a reference names, without downloading it: an id's artifact record (its checksum), or a
 * URL's `X-Checksum-Sha256` from a HEAD (plus the record when the client's key sees it). Knowing the checksum first
 * lets the directory reuse bytes it already holds under another reference.
 */
export async function probeRef(ref: Exclude<CacheRef, { kind: "path" }>, client: KvcdnClient | undefined, options: FetchCacheOptions): Promise<RefProbe> {
  const call = options.signal ? { signal: options.signal } : {};
  if (ref.kind === "id") {
    const artifact = await (client as KvcdnClient).get(ref.id, call);
    return { sha256: artifact.checksum?.toLowerCase() ?? undefined, artifact };
  }
  let artifact: Artifact | undefined;
  if (client?.hasApiKey === true && ref.id !== undefined && ref.url.startsWith(`${client.cdnUrl}/`)) {
    artifact = await client.get(ref.id, call).catch((e: unknown) => {
      if (isAbortError(e)) throw e;
      return undefined; // another organization's public artifact: the CDN still serves it
    });
  }
  let served: string | undefined;
  try {
    const { response } = await fetchWithoutCredentials({
      url: ref.url,
      makeInit: () => ({ method: "HEAD", ...call }),
      ...(options.fetch ?? client?.fetch ? { fetch: options.fetch ?? client?.fetch } : {}),
    });
    if (response.ok) served = response.headers.get("x-checksum-sha256")?.trim().toLowerCase() || undefined;
  } catch (e) {
    if (options.signal?.aborted) throw e;
    // No answer to HEAD: the GET that follows reports the real problem (or succeeds).
  }
  const recorded = artifact?.checksum?.toLowerCase() ?? undefined;
  // The URL's own answer wins: what it serves is what gets downloaded. A record that disagrees describes other bytes.
  const sha256 = served ?? recorded;
  if (served !== undefined && recorded !== undefined && served !== recorded) artifact = undefined;
  return { sha256: sha256 !== undefined && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : undefined, artifact };
}
