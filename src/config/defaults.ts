/** The hosted KV Cache Store API. */
export const DEFAULT_API_URL = "https://api.kvcachestore.com";
/** The public CDN that serves public artifacts at `{cdn}/{org_slug}/{project_slug}/{artifact_id}`. */
export const DEFAULT_CDN_URL = "https://x.kvcdn.io";
