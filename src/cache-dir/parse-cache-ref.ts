import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { publicUrl } from "../client/public-url.js";
import { KvcdnError } from "../errors/kvcdn-error.js";

/**
 * A reference, classified: a local `.kv` path, a private artifact id (fetched through the API), or a public CDN URL
 * (`org/project/id` becomes one). `key` names the reference inside the cache directory.
 */
export type CacheRef =
  | { kind: "path"; given: string; path: string }
  | { kind: "id"; given: string; id: string; apiUrl: string; key: string }
  | { kind: "url"; given: string; url: string; id: string | undefined; key: string };

/** Where a reference is looked up: the API (for ids) and the CDN (for `org/project/id`). */
export interface RefContext {
  apiUrl: string;
  cdnUrl: string;
}

/**
 * Classify a reference. An existing file, or a string that starts with `/`, `./`, `../` or `~/` or ends in `.kv`,
 * is a local path; `http(s)://…` is a public URL; `org/project/id` is built into the CDN URL; anything else is an
 * artifact id. An id is keyed with the API it belongs to, so two services never share an entry.
 * @example parseCacheRef("dev/default/3f1c…", { apiUrl, cdnUrl }) // { kind: "url", url: `${cdnUrl}/dev/default/3f1c…`, … }
 */
export function parseCacheRef(ref: string, context: RefContext): CacheRef {
  if (typeof ref !== "string" || ref.trim() === "") {
    throw new KvcdnError("A cache reference is required: an artifact id, a CDN URL, org/project/id or a .kv path", { code: "invalid_ref" });
  }
  const given = ref.trim();
  if (looksLikePath(given)) {
    const path = resolve(given.startsWith("~/") ? `${process.env["HOME"] ?? ""}${given.slice(1)}` : given);
    return { kind: "path", given, path };
  }
  if (/^https?:\/\//i.test(given)) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new KvcdnError(`Not a valid URL: ${given}`, { code: "invalid_ref" });
    }
    if (url.username !== "" || url.password !== "") throw new KvcdnError("Refusing a reference URL that carries credentials", { code: "invalid_ref" });
    url.hash = "";
    return urlRef(given, url.toString());
  }
  const parts = given.split("/");
  if (parts.length === 3 && parts.every((p) => p !== "")) {
    const [orgSlug, projectSlug, id] = parts as [string, string, string];
    return urlRef(given, publicUrl({ orgSlug, projectSlug, id }, context.cdnUrl));
  }
  if (parts.length !== 1 || /^[a-z][a-z0-9+.-]*:/i.test(given)) {
    throw new KvcdnError(`Not a cache reference: ${given} (give an artifact id, a CDN URL, org/project/id or a .kv path)`, { code: "invalid_ref" });
  }
  return { kind: "id", given, id: given, apiUrl: context.apiUrl, key: refKey(`id ${context.apiUrl} ${given}`) };
}

function urlRef(given: string, url: string): CacheRef {
  const last = new URL(url).pathname.split("/").filter(Boolean).pop();
  let id: string | undefined;
  try {
    id = last === undefined ? undefined : decodeURIComponent(last);
  } catch {
    id = last;
  }
  return { kind: "url", given, url, id, key: refKey(`url ${url}`) };
}

/** A file-name-safe key for a canonical reference: 32 hex digits of its SHA-256. */
function refKey(canonical: string): string {
  return createHash("sha256").update(canonical, "utf8").digest("hex").slice(0, 32);
}

/** Whether `parseCacheRef` takes `ref` for a local path (no configuration needed to tell). */
export function looksLikePath(ref: string): boolean {
  if (/^(\/|\.\.?\/|~\/|[A-Za-z]:[\\/])/.test(ref) || /\.kv$/i.test(ref)) return true;
  try {
    return statSync(ref).isFile();
  } catch {
    return false;
  }
}
