import { KvcdnError } from "../errors/kvcdn-error.js";

/** What identifies a public artifact on the CDN. */
export interface PublicUrlParams {
  /** The owning organization's slug. */
  orgSlug: string;
  /** The owning project's slug. */
  projectSlug: string;
  /** The artifact id. */
  id: string;
  /** CDN base URL. @default the client's cdnUrl ("https://x.kvcdn.io") */
  cdnUrl?: string | undefined;
}

function segment(value: string, what: string): string {
  if (typeof value !== "string" || value.trim() === "" || value === "." || value === "..") {
    throw new KvcdnError(`${what} is required to build a public CDN URL (got ${JSON.stringify(value)})`, { code: "invalid_argument" });
  }
  return encodeURIComponent(value);
}

/**
 * The public CDN URL of an artifact: `{cdn}/{org_slug}/{project_slug}/{artifact_id}`, each part percent-encoded as
 * one segment. Download it with a plain GET and no credentials.
 * @example publicUrl({ orgSlug: "acme", projectSlug: "chat", id: "8d0f…" }, "https://x.kvcdn.io") // → "https://x.kvcdn.io/acme/chat/8d0f…"
 */
export function publicUrl(params: PublicUrlParams, cdnUrl: string): string {
  const base = (params.cdnUrl ?? cdnUrl).replace(/\/+$/, "");
  return `${base}/${segment(params.orgSlug, "orgSlug")}/${segment(params.projectSlug, "projectSlug")}/${segment(params.id, "id")}`;
}
