import { InvalidArgumentError, type Command } from "commander";
import { convertKvFile } from "../../kv/convert-kv-file.js";
import { isKvDtype, type KvDtype } from "../../kv/kv-cache.js";
import { cliRunOf, stderrOf, stdoutOf } from "../cli-io.js";

/** `kvcdn convert IN -o OUT --dtype F32|F16|BF16`: change a `.kv` file's dtype or dequantize it. */
export function registerConvertCommand(program: Command): void {
  program
    .command("convert")
    .description("rewrite a .kv file as F32, F16 or BF16 (dequantizing quantized files)")
    .argument("<input>", ".kv file")
    .requiredOption("-o, --output <file>", "output .kv")
    .requiredOption("--dtype <dtype>", "F32, F16 or BF16", parseDtype)
    .option("--cli-compatible", "write only kvcdn-cli's nine sidecar fields")
    .action(async (input: string, _opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const err = stderrOf(cliRunOf(cmd).io);
      const opts = cmd.optsWithGlobals<{ output: string; dtype: KvDtype; cliCompatible?: boolean; json?: boolean; quiet?: boolean }>();
      const result = await convertKvFile({
        input,
        output: opts.output,
        dtype: opts.dtype,
        cliCompatible: opts.cliCompatible === true,
        onWarning: (w) => {
          if (opts.quiet !== true) err.write(`warning: ${w}\n`);
        },
      });
      if (opts.json === true) {
        out.write(`${JSON.stringify({ output: result.path, sidecar: result.sidecarPath ?? null, nbytes: result.nbytes, sha256: result.sha256, metadata: result.sidecar }, null, 2)}\n`);
        return;
      }
      out.write(`${result.path}: ${result.sidecar.num_layers} layers × ${result.sidecar.num_tokens} tokens as ${opts.dtype}, ${result.nbytes} bytes\n`);
    });
}

function parseDtype(value: string): KvDtype {
  const upper = value.toUpperCase();
  if (!isKvDtype(upper)) throw new InvalidArgumentError("use F32, F16 or BF16");
  return upper;
}
