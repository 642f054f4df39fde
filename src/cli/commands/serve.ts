import { InvalidArgumentError, type Command } from "commander";
import { CLI_DEFAULT_PORT, defaultStoreDir, FREE_PLAN_ARTIFACT_LIMIT, startLocalStore } from "../../local-store/index.js";
import { cliRunOf, stderrOf, stdoutOf } from "../cli-io.js";

/** Parse a non-negative integer flag, or `none` for no limit. */
const limitOrNone = (value: string): number | null => {
  if (value === "none") return null;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError("expected an integer >= 0 or 'none'");
  return Number(value);
};

const port = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
};

/**
 * `kvcdn serve [--port] [--host] [--data-dir] [--artifact-limit] [--quota-bytes]`: run the local store until
 * SIGINT/SIGTERM. Prints the API URL, CDN URL and dev API key (with `--json`, one line
 * `{"url","cdn_url","api_key","org_slug","project_slug","data_dir"}` on stdout); request logs go to stderr.
 */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run a local KV Cache Store (API, presigned storage and CDN) until interrupted")
    .option("--port <port>", "TCP port (0 picks a free one)", port, CLI_DEFAULT_PORT)
    .option("--host <host>", "interface to bind (anything but loopback exposes the store)", "127.0.0.1")
    .option("--data-dir <dir>", "where blobs, metadata, the audit log and the dev key live (default: $KVCDN_STORE_DIR or ~/.local/share/kvcdn/store)")
    .option("--artifact-limit <n>", `artifacts per organization, or 'none' (default: ${FREE_PLAN_ARTIFACT_LIMIT}, the free plan)`, limitOrNone)
    .option("--quota-bytes <n>", "storage quota per organization in bytes, or 'none' (default: 1 TiB)", limitOrNone)
    .option("--drop-metadata", "discard uploads' metadata and description, as the deployed backend does")
    .action(async (_opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const err = stderrOf(cliRunOf(cmd).io);
      const opts = cmd.optsWithGlobals<{
        port: number;
        host: string;
        dataDir?: string;
        artifactLimit?: number | null;
        quotaBytes?: number | null;
        dropMetadata?: boolean;
        json?: boolean;
        quiet?: boolean;
      }>();
      // Listen for the signals before printing anything: whoever reads the banner may signal at once.
      const stopped = new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      const store = await startLocalStore({
        port: opts.port,
        host: opts.host,
        dataDir: opts.dataDir ?? defaultStoreDir(),
        ...(opts.artifactLimit === undefined ? {} : { artifactLimit: opts.artifactLimit }),
        ...(opts.quotaBytes === undefined ? {} : { quotaBytes: opts.quotaBytes }),
        ...(opts.dropMetadata === true ? { dropMetadata: true } : {}),
        ...(opts.quiet === true ? {} : { log: (line: string) => err.write(`kvcdn serve: ${line}\n`) }),
      });
      if (opts.json === true) {
        const info = { url: store.url, cdn_url: store.cdnUrl, api_key: store.apiKey, org_slug: store.orgSlug, project_slug: store.projectSlug, data_dir: store.dataDir };
        out.write(`${JSON.stringify(info)}\n`);
      } else {
        out.write(
          [
            `KV Cache Store listening (org ${store.orgSlug}, project ${store.projectSlug})`,
            `  API URL:  ${store.url}`,
            `  CDN URL:  ${store.cdnUrl}`,
            `  API key:  ${store.apiKey}`,
            `  data dir: ${store.dataDir}`,
            "Use it from another shell:",
            `  export KVCDN_API_URL=${store.url} KVCDN_CDN_URL=${store.cdnUrl} KVCDN_API_KEY=${store.apiKey}`,
            "",
          ].join("\n"),
        );
      }
      await stopped;
      await store.close();
      if (opts.quiet !== true) err.write("kvcdn serve: stopped\n");
    });
}
