import cliProgress from "cli-progress";
import { basename } from "node:path";
import type { TransferProgress } from "../transfer/progress.js";
import type { TextSink } from "./cli-io.js";
import { formatBytes } from "./format-bytes.js";

/** Progress display of `kvcdn upload` / `kvcdn download`: one bar per file, or nothing. */
export interface TransferProgressView {
  /** Feed a progress event (events carry `file`, which picks the bar). */
  onProgress: (event: TransferProgress) => void;
  /** Remove the bars (before printing results). */
  stop: () => void;
}

/**
 * Progress bars on stderr, one per file, only when stderr is a TTY and neither `--json` nor `--quiet` is set;
 * otherwise a view that draws nothing (so piped output and JSON stay clean).
 * @example const view = transferProgressView({ stderr: process.stderr, json: false, quiet: false })
 */
export function transferProgressView(params: {
  stderr: TextSink;
  json: boolean;
  quiet: boolean;
  /** Called after every redraw of the bars (which happen on a timer): lets a test wait for one instead of sleeping. */
  onRedraw?: () => void;
}): TransferProgressView {
  const stream = params.stderr as TextSink & { isTTY?: boolean };
  if (params.json || params.quiet || stream.isTTY !== true) return { onProgress: () => undefined, stop: () => undefined };
  const multi = new cliProgress.MultiBar(
    {
      stream: stream as unknown as NodeJS.WritableStream,
      format: "{name} {phase} |{bar}| {percentage}% {done}/{size}",
      hideCursor: true,
      clearOnComplete: true,
      autopadding: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  if (params.onRedraw !== undefined) multi.on("redraw-post", params.onRedraw);
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress: (e) => {
      const key = e.file ?? e.artifactId ?? "transfer";
      const payload = { name: basename(key).slice(0, 40), phase: e.phase.padEnd(11), done: formatBytes(e.bytes), size: formatBytes(e.totalBytes) };
      let bar = bars.get(key);
      if (bar === undefined) {
        bar = multi.create(Math.max(1, e.totalBytes), e.bytes, payload);
        bars.set(key, bar);
      }
      bar.setTotal(Math.max(1, e.totalBytes));
      bar.update(e.bytes, payload);
    },
    stop: () => multi.stop(),
  };
}

/**
 * Run a CLI transfer with its progress view and Ctrl-C wiring: SIGINT aborts the transfer (which cleans up its
 * temp files and orphan artifacts), and the bars are removed and the handler detached however it ends.
 * @example const results = await runTransfer(view, ({ signal, onProgress }) => uploadMany({ client, files, signal, onProgress }))
 */
export async function runTransfer<T>(
  view: TransferProgressView,
  run: (controls: { signal: AbortSignal; onProgress: (event: TransferProgress) => void }) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  try {
    return await run({ signal: abort.signal, onProgress: view.onProgress });
  } finally {
    view.stop();
    process.removeListener("SIGINT", onSignal);
  }
}
