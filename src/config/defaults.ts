/** The hosted KV Cache Store API. */
export const DEFAULT_API_URL = "https://api.kvcachestore.com";
/** The public CDN that serves public artifacts at `{cdn}/{org_slug}/{project_slug}/{artifact_id}`. */
export const DEFAULT_CDN_URL = "https://x.kvcdn.io";
/** The OIDC issuer of the Rust CLI's login (kvcdn-cli `src/config.rs`). */
export const DEFAULT_ISSUER_URL = "https://pocketid.kvcachestore.com";
/** The OIDC client id of the Rust CLI's login (kvcdn-cli `src/config.rs`). */
export const DEFAULT_CLIENT_ID = "kvcdn-cli";
