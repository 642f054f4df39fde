import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../kv/fs/atomic-file.js";
import { DEV_ORG_SLUG, DEV_PROJECT_SLUG } from "./constants.js";
import { LocalStoreError } from "./local-store-error.js";
import type { ApiKeyGrant, Principal } from "./types.js";

/** Organization and project slugs: lowercase, digits and dashes (they appear in CDN URLs and file names). */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;

/** The secrets a data directory keeps in `keys.json` (mode 0600). */
interface KeysFile {
  version: 1;
  /** The dev API key: `kv_` + 64 lowercase hex. */
  dev_key: string;
  dev_org: string;
  dev_project: string;
  /** Signs presigned URLs; stays with the directory so URLs survive a restart. */
  storage_secret: string;
}

/** A non-secret, stable id of an API key: what the audit log and `/api-keys/verify` show instead of the key. */
export const keyIdOf = (key: string): string => `key_${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;

/**
 * Load the data directory's dev key and storage secret, creating them on first start.
 * @example const { devKey, storageSecret } = await loadOrCreateKeys(dataDir)
 */
export async function loadOrCreateKeys(dataDir: string): Promise<{ devKey: ApiKeyGrant; storageSecret: string }> {
  const file = join(dataDir, "keys.json");
  let keys: KeysFile;
  try {
    keys = JSON.parse(await readFile(file, "utf8")) as KeysFile;
    if (keys.version !== 1 || !/^kv_[0-9a-f]{64}$/.test(keys.dev_key) || !/^[0-9a-f]{64}$/.test(keys.storage_secret)) {
      throw new LocalStoreError(`${file} is not a kvcdn keys file`);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw e instanceof LocalStoreError ? e : new LocalStoreError(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
    keys = {
      version: 1,
      dev_key: `kv_${randomBytes(32).toString("hex")}`,
      dev_org: DEV_ORG_SLUG,
      dev_project: DEV_PROJECT_SLUG,
      storage_secret: randomBytes(32).toString("hex"),
    };
    await writeFileAtomic(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  }
  return { devKey: { key: keys.dev_key, org: keys.dev_org, project: keys.dev_project }, storageSecret: keys.storage_secret };
}

/**
 * The API keys a store accepts, each scoped to an organization and project. Keys are looked up by their SHA-256,
 * so no key is compared byte by byte or kept in a log.
 */
export class KeyRing {
  readonly #byHash = new Map<string, Principal>();

  constructor(grants: readonly ApiKeyGrant[]) {
    for (const grant of grants) {
      if (typeof grant.key !== "string" || !/^\S{8,}$/.test(grant.key)) {
        throw new LocalStoreError("an API key must be at least 8 characters without whitespace");
      }
      if (!SLUG_PATTERN.test(grant.org) || !SLUG_PATTERN.test(grant.project)) {
        throw new LocalStoreError(`invalid org or project slug "${grant.org}/${grant.project}" (use a-z, 0-9 and -)`);
      }
      const hash = createHash("sha256").update(grant.key).digest("hex");
      const existing = this.#byHash.get(hash);
      if (existing && (existing.org !== grant.org || existing.project !== grant.project)) {
        throw new LocalStoreError(`API key ${keyIdOf(grant.key)} is configured for two different projects`);
      }
      this.#byHash.set(hash, { org: grant.org, project: grant.project, keyId: keyIdOf(grant.key) });
    }
  }

  /**
   * The principal of an `Authorization` header, or undefined. Exactly `Bearer <token>` (capital B, one space), as
   * the deployed service requires (docs/service-contract.md#authentication).
   */
  resolve(authorization: string | undefined): Principal | undefined {
    const m = authorization === undefined ? null : /^Bearer (\S+)$/.exec(authorization);
    if (!m) return undefined;
    return this.#byHash.get(createHash("sha256").update(m[1]!).digest("hex"));
  }
}
