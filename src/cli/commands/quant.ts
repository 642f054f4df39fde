import type { Command } from "commander";
import { quantizeKvFile } from "../../kv/quantize-kv-file.js";
import { cliRunOf, stderrOf, stdoutOf } from "../cli-io.js";

/** `kvcdn quant IN [-o OUT] [--dtype D] [--verify] [--max-error E]`: int8-quantize a `.kv` like kvcdn-cli. */
export function registerQuantCommand(program: Command): void {
  program
    .command("quant")
    .description("quantize a .kv file to per-tensor int8 (kvcdn-cli compatible) and write <out>.quant-event.json")
    .argument("<input>", "unquantized .kv file")
    .option("-o, --output <file>", "output .kv (default <input stem>.q8.kv)")
    .option("--dtype <dtype>", "dtype the producing model ran in: F16, F32, BF16, FP8 (F8, F8E4M3) or I8", "F16")
    .option("--verify", "read the output back and compare codes and scales")
    .option("--max-error <n>", "with --verify: fail layers whose max |x - dequant(q)| exceeds n", parseNonNegative)
    .action(async (input: string, _opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const err = stderrOf(cliRunOf(cmd).io);
      const opts = cmd.optsWithGlobals<{ output?: string; dtype: string; verify?: boolean; maxError?: number; json?: boolean; quiet?: boolean }>();
      const result = await quantizeKvFile({
        input,
        target: opts.dtype,
        verify: opts.verify === true,
        ...(opts.output === undefined ? {} : { output: opts.output }),
        ...(opts.maxError === undefined ? {} : { maxError: opts.maxError }),
        onWarning: (w) => {
          if (opts.quiet !== true) err.write(`warning: ${w}\n`);
        },
      });
      if (opts.json === true) {
        out.write(`${JSON.stringify({ output: result.output, sidecar: result.sidecarPath, event_path: result.eventPath, event: result.event }, null, 2)}\n`);
        return;
      }
      const e = result.event;
      out.write(
        `${result.output}: ${e.num_layers} layers × ${e.num_tokens} tokens, ${e.original_nbytes} → ${e.quantized_nbytes} bytes ` +
          `(${e.compression_ratio.toFixed(2)}×), max error ${e.max_quant_error.toPrecision(3)}, verification ${e.verification_result}\n`,
      );
    });
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--max-error must be a non-negative number, got ${value}`);
  return n;
}
