import type { Command } from "commander";
import type { CachedKvEntry } from "../../cache-dir/list-cached-kv.js";
import { listCachedKv } from "../../cache-dir/list-cached-kv.js";
import { pruneCache } from "../../cache-dir/prune-cache.js";
import { removeCachedKv } from "../../cache-dir/remove-cached-kv.js";
import { cliContext, type CliContext } from "../cli-context.js";
import { formatBytes } from "../format-bytes.js";
import { formatTable } from "../format-table.js";
import { parseByteSize } from "../parse-byte-size.js";
import { parseDuration } from "../parse-duration.js";

/** An entry as `--json` prints it (snake_case, like the index on disk). */
function entryJson(e: CachedKvEntry) {
  return {
    ref: e.ref,
    kind: e.kind,
    artifact_id: e.artifactId ?? null,
    model_name: e.modelName,
    num_tokens: e.numTokens,
    size_bytes: e.sizeBytes,
    sha256: e.sha256,
    path: e.path,
    fetched_at: e.fetchedAt.toISOString(),
    last_used_at: e.lastUsedAt.toISOString(),
  };
}

function entryTable(entries: readonly CachedKvEntry[]): string {
  if (entries.length === 0) return "(nothing)";
  return formatTable(
    ["REF", "MODEL", "TOKENS", "SIZE", "LAST USED"],
    entries.map((e) => [e.ref, e.modelName, String(e.numTokens), formatBytes(e.sizeBytes), e.lastUsedAt.toISOString()]),
  );
}

/** The cache directory of this run: `--cache-dir`, else env KVCDN_CACHE_DIR, config `cache_dir`, the XDG default. */
function dirOptions(ctx: CliContext, cmd: Command) {
  const flag = cmd.optsWithGlobals<{ cacheDir?: string }>().cacheDir;
  return { cacheDir: flag ?? ctx.config().cacheDir, ...(ctx.io.env ? { env: ctx.io.env } : {}) };
}

/**
 * `kvcdn cache ls|rm|prune [--cache-dir DIR]`: see and shrink the cache directory (never a request to the service).
 * `ls` prints reference, model, tokens, size and last use (least recently used first); `rm REF...` removes references
 * (a blob goes with the last reference to it); `prune --max-size 10GB --older-than 30d [--dry-run]` removes least
 * recently used references first. `--json`: `{"entries": […]}`, `{"removed": […], "freed_bytes"}`,
 * `{"removed": […], "freed_bytes", "kept_bytes"}`.
 */
export function registerCacheCommand(program: Command): void {
  const cache = program
    .command("cache")
    .description("see and prune the cache directory of fetched caches")
    .option("--cache-dir <dir>", "cache directory (env KVCDN_CACHE_DIR, config cache_dir, else ~/.cache/kvcdn)");

  cache
    .command("ls")
    .description("list references in the cache directory, least recently used first")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const entries = await listCachedKv(dirOptions(ctx, cmd));
      ctx.out.result({ cache_dir: dirOptions(ctx, cmd).cacheDir, entries: entries.map(entryJson) }, () => entryTable(entries));
    });

  cache
    .command("rm")
    .description("remove references (and blobs no other reference uses)")
    .argument("<refs...>", "references as given to pull, or as cache ls prints them")
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const removed: CachedKvEntry[] = [];
      let freed = 0;
      const missing: string[] = [];
      for (const ref of refs) {
        const r = await removeCachedKv(ref, dirOptions(ctx, cmd));
        if (r.removed === undefined) missing.push(ref);
        else removed.push(r.removed);
        freed += r.freedBytes;
      }
      ctx.out.result({ removed: removed.map(entryJson), not_found: missing, freed_bytes: freed }, () =>
        [...removed.map((e) => `removed ${e.ref}`), ...missing.map((m) => `not in the cache directory: ${m}`), `freed ${formatBytes(freed)}`].join("\n"),
      );
      if (missing.length > 0) throw new Error(`${missing.length} of ${refs.length} references were not in the cache directory`);
    });

  cache
    .command("prune")
    .description("remove least recently used references until the directory fits")
    .option("--max-size <size>", "keep at most this many bytes of blobs, e.g. 10GB", parseByteSize)
    .option("--older-than <duration>", "remove references not used for this long, e.g. 30d", parseDuration)
    .option("--dry-run", "print what would be removed, remove nothing")
    .action(async (opts: { maxSize?: number; olderThan?: number; dryRun?: boolean }, cmd: Command) => {
      const ctx = cliContext(cmd);
      if (opts.maxSize === undefined && opts.olderThan === undefined) {
        cmd.error("give --max-size, --older-than or both", { exitCode: 2, code: "kvcdn.usage" });
      }
      const r = await pruneCache({
        ...dirOptions(ctx, cmd),
        ...(opts.maxSize !== undefined ? { maxSizeBytes: opts.maxSize } : {}),
        ...(opts.olderThan !== undefined ? { olderThanMs: opts.olderThan } : {}),
        ...(opts.dryRun === true ? { dryRun: true } : {}),
      });
      ctx.out.result({ removed: r.removed.map(entryJson), freed_bytes: r.freedBytes, kept_bytes: r.keptBytes, dry_run: opts.dryRun === true }, () =>
        [
          ...r.removed.map((e) => `${opts.dryRun === true ? "would remove" : "removed"} ${e.ref} (${formatBytes(e.sizeBytes)})`),
          `${opts.dryRun === true ? "would free" : "freed"} ${formatBytes(r.freedBytes)}, ${formatBytes(r.keptBytes)} kept`,
        ].join("\n"),
      );
    });
}
