import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../kv/fs/atomic-file.js";
import type { CacheLayout } from "./cache-layout.js";

/**
 * `refs/<key>.json`: what one reference resolved to. An on-disk shape, so snake_case like the sidecar. The file's
 * modification time is the reference's last use (touched on every hit, so a hit costs no rewrite).
 */
export interface RefIndex {
  /** Format version. */
  v: 1;
  /** The reference as first given (`3f1c…`, `https://…`, `org/project/id`). */
  ref: string;
  /** How it was resolved: a private artifact id through the API, or a public URL. */
  kind: "id" | "url";
  /** The key naming this file. */
  key: string;
  /** The artifact id, when known. */
  artifact_id: string | null;
  /** The public URL fetched (url references). */
  url: string | null;
  /** The API the id belongs to (id references). */
  api_url: string | null;
  /** SHA-256 of the bytes: the blob is `blobs/<sha256>.kv`. */
  sha256: string;
  size_bytes: number;
  /** The sidecar's model and token count, for listings. */
  model_name: string;
  num_tokens: number;
  /** When the bytes were fetched (ISO 8601). */
  fetched_at: string;
  /** The artifact's record as the service returned it (name, visibility, metadata …), when it was visible. */
  artifact: Record<string, unknown> | null;
}

/** Read one index; a missing or malformed file is no entry (it is rewritten on the next fetch). */
export async function readRefIndex(path: string): Promise<(RefIndex & { lastUsedMs: number }) | undefined> {
  let text: string;
  let lastUsedMs: number;
  try {
    text = await readFile(path, "utf8");
    lastUsedMs = (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<RefIndex>;
    if (v?.v !== 1 || typeof v.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(v.sha256) || typeof v.key !== "string") return undefined;
    if (typeof v.size_bytes !== "number" || (v.kind !== "id" && v.kind !== "url") || typeof v.ref !== "string") return undefined;
    return { ...(v as RefIndex), lastUsedMs };
  } catch {
    return undefined;
  }
}

/** Write an index atomically (temp file, fsync, rename): readers see the old entry or the new one, never half. */
export async function writeRefIndex(path: string, index: RefIndex): Promise<void> {
  const text = `${JSON.stringify(index, null, 2)}\n`;
  await writeFileAtomic(path, (file) => file.write(Buffer.from(text, "utf8")));
}

/** Every readable index of the directory. */
export async function readAllRefIndexes(layout: CacheLayout): Promise<Array<RefIndex & { lastUsedMs: number }>> {
  let names: string[];
  try {
    names = await readdir(layout.refs);
  } catch {
    return [];
  }
  const all = await Promise.all(names.filter((n) => n.endsWith(".json") && !n.startsWith(".")).map((n) => readRefIndex(join(layout.refs, n))));
  return all.filter((x): x is RefIndex & { lastUsedMs: number } => x !== undefined);
}
