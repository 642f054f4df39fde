import type { TransferClient } from "./transfer-client.js";
import { KvcdnError } from "../errors/index.js";
import type { DownloadSource } from "./download-options.js";

/** What an artifact id looks like (a UUID, as both the deployed service and the local store issue). */
const ARTIFACT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A download target: a private artifact by id, or a public URL (with the id when the URL ends with one that looks like an artifact id). */
export type ResolvedSource = { kind: "private"; id: string } | { kind: "public"; url: string; id: string | undefined };

/**
 * Classify a download source: `http(s)://…` is a public URL, `{ orgSlug, projectSlug, id }` becomes the client's CDN
 * URL, anything else is an artifact id.
 * @example resolveDownloadSource(client, "https://x.kvcdn.io/acme/default/3f1c…") // { kind: "public", … }
 */
export function resolveDownloadSource(client: TransferClient | undefined, source: DownloadSource): ResolvedSource {
  if (typeof source === "object" && source !== null) {
    if (client === undefined) throw new KvcdnError("A client is needed to build a CDN URL from org, project and id", { code: "invalid_source" });
    return { kind: "public", url: client.publicUrl(source), id: source.id };
  }
  if (typeof source !== "string" || source.trim() === "") throw new KvcdnError("Nothing to download: give an artifact id or a URL", { code: "invalid_source" });
  const text = source.trim();
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new KvcdnError(`Not a valid URL: ${text}`, { code: "invalid_source" });
    }
    if (url.username !== "" || url.password !== "") {
      throw new KvcdnError("Refusing a download URL that carries credentials", { code: "invalid_source" });
    }
    // A CDN URL is {cdn}/{org}/{project}/{id}; any other last segment ("download", "file.kv") names no artifact.
    const last = url.pathname.split("/").filter(Boolean).pop();
    let decoded: string | undefined;
    try {
      decoded = last === undefined ? undefined : decodeURIComponent(last);
    } catch {
      decoded = undefined;
    }
    const id = decoded !== undefined && ARTIFACT_ID.test(decoded) ? decoded.toLowerCase() : undefined;
    return { kind: "public", url: url.toString(), id };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) && !/^[0-9a-f-]+$/i.test(text)) {
    throw new KvcdnError(`Unsupported URL scheme in ${text.split(":")[0]}:…; use http(s) or an artifact id`, { code: "invalid_source" });
  }
  if (client === undefined) throw new KvcdnError("A client is needed to download an artifact by id", { code: "invalid_source" });
  return { kind: "private", id: text };
}
