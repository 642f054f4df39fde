import type { Command } from "commander";
import type { DownloadSource } from "../../transfer/download-options.js";
import { downloadMany } from "../../transfer/download-many.js";
import { errorSummary } from "../../transfer/error-summary.js";
import { cliContext } from "../cli-context.js";
import { stderrOf } from "../cli-io.js";
import { formatBytes } from "../format-bytes.js";
import { runTransfer, transferProgressView } from "../transfer-progress.js";

interface DownloadFlags {
  output?: string;
  org?: string;
  project?: string;
  concurrency?: string;
  sha256?: string;
}

/**
 * `kvcdn download ID|URL... -o FILE|DIR [--org ORG --project PROJECT] [--concurrency N]`: download artifacts
 * (private ids through download-url; public CDN URLs, or ids with `--org`/`--project`, without credentials),
 * verified and atomic, with their `.kv.json` sidecars. `--json` prints `{"id"?, "path", "size_bytes", "sha256"}`
 * (an array for several; a failed one as `{"source", "error"}`). Exit 1 if any failed.
 */
export function registerDownloadCommand(program: Command): void {
  program
    .command("download")
    .description("download artifacts by id or public URL, verified by SHA-256")
    .argument("<sources...>", "artifact ids or public CDN URLs")
    .option("-o, --output <path>", "destination file (one source) or directory", ".")
    .option("--org <slug>", "organization of public artifacts given by id (downloads from the CDN)")
    .option("--project <slug>", "project of public artifacts given by id (with --org)")
    .option("--sha256 <hex>", "expected SHA-256 (one source)")
    .option("--concurrency <n>", "downloads at once", "4")
    .action(async (sources: string[], opts: DownloadFlags, cmd: Command) => {
      const concurrency = Number(opts.concurrency ?? "4");
      if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
        cmd.error(`--concurrency must be a positive integer, not ${JSON.stringify(opts.concurrency)}`, { exitCode: 2, code: "kvcdn.usage" });
      }
      if ((opts.org === undefined) !== (opts.project === undefined)) {
        cmd.error("--org and --project go together", { exitCode: 2, code: "kvcdn.usage" });
      }
      if (opts.sha256 !== undefined && (sources.length > 1 || !/^[0-9a-fA-F]{64}$/.test(opts.sha256))) {
        cmd.error("--sha256 takes one 64-hex digest and applies to one source", { exitCode: 2, code: "kvcdn.usage" });
      }
      const targets: DownloadSource[] = sources.map((s) =>
        opts.org !== undefined && opts.project !== undefined && !/^https?:\/\//i.test(s) ? { orgSlug: opts.org, projectSlug: opts.project, id: s } : s,
      );
      const ctx = cliContext(cmd);
      const client = ctx.client();
      const view = transferProgressView({ stderr: stderrOf(ctx.io), json: ctx.out.json, quiet: ctx.out.quiet });
      const results = await runTransfer(view, ({ signal, onProgress }) =>
        downloadMany({
          client,
          sources: targets,
          dest: opts.output ?? ".",
          concurrency,
          signal,
          onProgress,
          ...(opts.sha256 !== undefined ? { sha256: opts.sha256.toLowerCase() } : {}),
        }),
      );
      if (sources.length === 1 && results[0]?.status === "rejected") throw results[0].reason;
      const documents = results.map((r, i) =>
        r.status === "fulfilled"
          ? { ...(r.value.id !== undefined ? { id: r.value.id } : {}), path: r.value.path, size_bytes: r.value.sizeBytes, sha256: r.value.sha256 }
          : { source: sources[i], error: errorSummary(r.reason) },
      );
      ctx.out.result(sources.length === 1 ? documents[0] : documents, () =>
        results
          .map((r, i) =>
            r.status === "fulfilled"
              ? `downloaded ${r.value.id ?? sources[i]} → ${r.value.path} (${formatBytes(r.value.sizeBytes)}, sha256 ${r.value.verified ? "verified" : "not verifiable: unknown"})`
              : `failed ${sources[i]}: ${errorSummary(r.reason).message}`,
          )
          .join("\n"),
      );
      const failed = results.filter((r) => r.status === "rejected").length;
      if (failed > 0) throw new Error(`${failed} of ${sources.length} downloads failed`);
    });
}
