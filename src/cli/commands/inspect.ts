import type { Command } from "commander";
import { inspectKv } from "../../kv/inspect-kv.js";
import { cliRunOf, stdoutOf } from "../cli-io.js";

/** `kvcdn inspect FILE [--json] [--hash]`: header and sidecar of a `.kv`, without reading tensor data. */
export function registerInspectCommand(program: Command): void {
  program
    .command("inspect")
    .description("show a .kv file's metadata and tensors (header and sidecar only)")
    .argument("<file>", ".kv file")
    .option("--hash", "compute the sha256 when the sidecar does not record it (reads the whole file)")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const opts = cmd.optsWithGlobals<{ json?: boolean; hash?: boolean }>();
      const info = await inspectKv(file, { sha256: opts.hash === true });
      if (opts.json === true) {
        out.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const lines = [
        `file:          ${file}`,
        `model:         ${info.model_name}`,
        `layers:        ${info.num_layers}`,
        `tokens:        ${info.num_tokens}`,
        `dtype:         ${info.dtype}${info.quantized ? ` (quantized, stored as ${info.storage_dtype ?? "?"})` : ""}`,
        `size:          ${info.nbytes} bytes`,
        `sha256:        ${info.sha256 ?? "(not recorded; use --hash)"}`,
        `tensors:       ${info.tensors.length}`,
        ...info.tensors.map((t) => `  ${t.name.padEnd(10)} ${t.dtype.padEnd(5)} [${t.shape.join(", ")}]`),
      ];
      out.write(`${lines.join("\n")}\n`);
    });
}
