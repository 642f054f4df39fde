import type { Command } from "commander";
import { fetchCache } from "../../cache-dir/fetch-cache.js";
import type { CachedKv } from "../../cache-dir/cache-dir-options.js";
import { errorSummary } from "../../transfer/error-summary.js";
import { cliContext } from "../cli-context.js";
import { stderrOf } from "../cli-io.js";
import { formatBytes } from "../format-bytes.js";
import { runTransfer, transferProgressView } from "../transfer-progress.js";

interface PullFlags {
  cacheDir?: string;
  offline?: boolean;
  revalidate?: boolean;
}

/**
 * `kvcdn pull REF... [--cache-dir DIR] [--offline] [--revalidate]`: fetch references (artifact ids, public CDN URLs,
 * `org/project/id`) into the cache directory, downloading only what it does not hold, and print each verified path.
 * `--json` prints `{"ref", "path", "sha256", "size_bytes", "downloaded"}` (an array for several; a failed one as
 * `{"ref", "error"}`). Exit 1 if any failed.
 */
export function registerPullCommand(program: Command): void {
  program
    .command("pull")
    .description("fetch caches by reference into the cache directory (once; verified) and print their paths")
    .argument("<refs...>", "artifact ids, public CDN URLs or org/project/id")
    .option("--cache-dir <dir>", "cache directory (env KVCDN_CACHE_DIR, config cache_dir, else ~/.cache/kvcdn)")
    .option("--offline", "use only what the cache directory holds (env KVCDN_OFFLINE=1)")
    .option("--revalidate", "ask the service whether a reference now names other bytes")
    .action(async (refs: string[], opts: PullFlags, cmd: Command) => {
      const ctx = cliContext(cmd);
      const config = ctx.config();
      const view = transferProgressView({ stderr: stderrOf(ctx.io), json: ctx.out.json, quiet: ctx.out.quiet });
      const results = await runTransfer(view, async ({ signal, onProgress }) => {
        const settled: Array<PromiseSettledResult<CachedKv>> = [];
        // One after another: each reference takes its own lock, and the bars stay readable.
        for (const ref of refs) {
          settled.push(
            await fetchCache(ref, {
              client: ctx.client(),
              cacheDir: opts.cacheDir ?? config.cacheDir,
              ...(ctx.io.env ? { env: ctx.io.env } : {}),
              ...(opts.offline === true ? { offline: true } : {}),
              ...(opts.revalidate === true ? { revalidate: true } : {}),
              signal,
              onProgress,
            }).then(
              (value) => ({ status: "fulfilled" as const, value }),
              (reason: unknown) => ({ status: "rejected" as const, reason }),
            ),
          );
        }
        return settled;
      });
      if (refs.length === 1 && results[0]?.status === "rejected") throw results[0].reason;
      const documents = results.map((r, i) =>
        r.status === "fulfilled"
          ? { ref: refs[i], path: r.value.path, sha256: r.value.sha256, size_bytes: r.value.sizeBytes, downloaded: r.value.downloaded }
          : { ref: refs[i], error: errorSummary(r.reason) },
      );
      ctx.out.result(refs.length === 1 ? documents[0] : documents, () =>
        results
          .map((r, i) =>
            r.status === "fulfilled"
              ? `${r.value.path}  (${refs[i]}, ${formatBytes(r.value.sizeBytes)}, ${r.value.downloaded ? "downloaded" : "already in the cache directory"})`
              : `failed ${refs[i]}: ${errorSummary(r.reason).message}`,
          )
          .join("\n"),
      );
      const failed = results.filter((r) => r.status === "rejected").length;
      if (failed > 0) throw new Error(`${failed} of ${refs.length} references failed`);
    });
}
