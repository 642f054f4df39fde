import type { Command } from "commander";
import { errorSummary } from "../../transfer/error-summary.js";
import { isShardGroup } from "../../transfer/upload-artifact.js";
import { uploadMany } from "../../transfer/upload-many.js";
import { cliContext } from "../cli-context.js";
import { stderrOf } from "../cli-io.js";
import { formatBytes } from "../format-bytes.js";
import { runTransfer, transferProgressView } from "../transfer-progress.js";

interface UploadFlags {
  name?: string;
  description?: string;
  visibility?: string;
  model?: string;
  concurrency?: string;
  sharding?: boolean;
}

/**
 * `kvcdn upload FILE... [--name] [--description] [--visibility private|public] [--model] [--concurrency N]`:
 * upload `.kv` files (facts from their sidecars), confirmed and verified. `--json` prints the artifact (an array for
 * several files; a failed file appears as `{"file", "error": {"name", "code", "message"}}`). Exit 1 if any failed.
 */
export function registerUploadCommand(program: Command): void {
  program
    .command("upload")
    .description("upload .kv files (presigned PUT, confirmed by checksum)")
    .argument("<files...>", ".kv files to upload")
    .option("--name <name>", "display name (default: the file name without .kv); one file only")
    .option("--description <text>", "description (searchable)")
    .option("--visibility <visibility>", "private or public", "private")
    .option("--model <id>", "the producing model's id (default: the sidecar's model_name)")
    .option("--concurrency <n>", "files uploaded at once", "4")
    .option("--no-sharding", "refuse files over the 5 GiB single-PUT limit instead of splitting them by layer range")
    .action(async (files: string[], opts: UploadFlags, cmd: Command) => {
      const visibility = opts.visibility ?? "private";
      if (visibility !== "private" && visibility !== "public") {
        cmd.error(`--visibility must be private or public, not ${JSON.stringify(visibility)}`, { exitCode: 2, code: "kvcdn.usage" });
      }
      const concurrency = Number(opts.concurrency ?? "4");
      if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
        cmd.error(`--concurrency must be a positive integer, not ${JSON.stringify(opts.concurrency)}`, { exitCode: 2, code: "kvcdn.usage" });
      }
      for (const [flag, value] of [["--name", opts.name], ["--model", opts.model]] as const) {
        // An empty value would reach the service as a nameless artifact (or a model nobody can search for).
        if (value !== undefined && value.trim() === "") cmd.error(`${flag} must not be empty`, { exitCode: 2, code: "kvcdn.usage" });
      }
      if (opts.name !== undefined && files.length > 1) {
        cmd.error("--name applies to one file; upload several files without it (each is named after its file)", { exitCode: 2, code: "kvcdn.usage" });
      }
      const ctx = cliContext(cmd);
      const client = ctx.client();
      const view = transferProgressView({ stderr: stderrOf(ctx.io), json: ctx.out.json, quiet: ctx.out.quiet });
      const results = await runTransfer(view, ({ signal, onProgress }) =>
        uploadMany({
          client,
          files,
          concurrency,
          visibility,
          signal,
          onProgress,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
          ...(opts.model !== undefined ? { model: opts.model } : {}),
          ...(opts.sharding === false ? { sharding: false } : {}),
        }),
      );
      const failed = results.filter((r) => r.status === "rejected");
      if (files.length === 1 && results[0]?.status === "rejected") throw results[0].reason;
      const documents = results.map((r) => (r.status === "fulfilled" ? r.value : { file: r.item, error: errorSummary(r.reason) }));
      ctx.out.result(files.length === 1 ? documents[0] : documents, () =>
        results
          .map((r) =>
            r.status === "fulfilled"
              ? isShardGroup(r.value)
                ? `uploaded ${String(r.item)} → ${r.value.shards.length} shards of group ${r.value.group_id} (${formatBytes(r.value.size_bytes ?? 0)}, ${r.value.visibility}): ${r.value.shards.map((a) => a.id).join(", ")}`
                : `uploaded ${String(r.item)} → ${r.value.id} (${formatBytes(r.value.size_bytes ?? 0)}, ${r.value.status ?? "confirmed"}, ${r.value.visibility})`
              : `failed ${String(r.item)}: ${errorSummary(r.reason).message}`,
          )
          .join("\n"),
      );
      if (failed.length > 0) throw new Error(`${failed.length} of ${files.length} uploads failed`);
    });
}
