import { Buffer } from "node:buffer";
import { KvFormatError } from "../errors/kv-format-error.js";
import { carrySidecar } from "./carry-sidecar.js";
import { statFile } from "./fs/local-file.js";
import { quantErrors, rfc3339, writeQuantEvent, type QuantEvent, type VerificationResult } from "./quant-event.js";
import { parseQuantTarget, quantizeKv, type QuantTarget } from "./quantize.js";
import { readKv } from "./read-kv.js";
import { writeKv } from "./write-kv.js";

/** What {@link quantizeKvFile} did. */
export interface QuantizeKvFileResult {
  /** The quantized `.kv` path. */
  output: string;
  /** Its sidecar path. */
  sidecarPath: string;
  /** The `.quant-event.json` path. */
  eventPath: string;
  /** The event as written. */
  event: QuantEvent;
}

/**
 * Quantize an existing `.kv` file to int8 (`U8` codes + rank-0 F32 scales), write `<output>` + sidecar atomically
 * and then `<output>.quant-event.json`. With `verify`, the output is read back and each layer's codes and scales
 * must equal the in-memory quantization (and, with `maxError`, each layer's max |x − x̂| must stay within it); on a
 * mismatch the event records `"Mismatch"` and the layer indices **before** a `verification_failed` KvFormatError
 * is thrown (kvcdn-cli defect 7). The quantized file is kept for inspection.
 * @example await quantizeKvFile({ input: "ctx.kv", target: "F16", verify: true })
 */
export async function quantizeKvFile(params: {
  /** An unquantized `.kv`. */
  input: string;
  /** Output path; `.kv` is appended if missing. @default `<input stem>.q8.kv` */
  output?: string;
  /** The dtype the producing model ran in. @default "F16" */
  target?: QuantTarget | string;
  /** Read the output back and compare. @default false */
  verify?: boolean;
  /** With `verify`: largest accepted |x − x̂| per layer. @default undefined (codes and scales only) */
  maxError?: number;
  /** Called with warnings (e.g. `.kv` appended). */
  onWarning?: (message: string) => void;
  /** Abort; files not yet renamed into place are removed. */
  signal?: AbortSignal;
}): Promise<QuantizeKvFileResult> {
  const target = parseQuantTarget(params.target ?? "F16");
  const signal = params.signal === undefined ? {} : { signal: params.signal };
  const { cache, metadata, sidecar } = await readKv(params.input, { dtype: "F32", ...signal });
  if (metadata.quantized) {
    throw new KvFormatError("is already quantized; convert it to a float dtype first", { code: "bad_dtype", path: params.input });
  }
  const q = quantizeKv(cache, { target });
  const output = params.output ?? `${params.input.replace(/\.kv$/, "")}.q8.kv`;
  const written = await writeKv(output, q, {
    sidecar: carrySidecar(sidecar),
    ...signal,
    ...(params.onWarning === undefined ? {} : { onWarning: params.onWarning }),
  });
  const errors = quantErrors(cache, q);
  let result: VerificationResult = "Skipped";
  const mismatches: number[] = [];
  if (params.verify === true) {
    const back = await readKv(written.path, signal);
    const layers = back.quantized?.layers ?? [];
    q.layers.forEach((layer, i) => {
      const got = layers[i];
      const same =
        got !== undefined &&
        got.key.scale === layer.key.scale &&
        got.value.scale === layer.value.scale &&
        Buffer.compare(got.key.q, layer.key.q) === 0 &&
        Buffer.compare(got.value.q, layer.value.q) === 0;
      if (!same || (params.maxError !== undefined && errors.perLayer[i]! > params.maxError)) mismatches.push(i);
    });
    result = mismatches.length === 0 ? "Match" : "Mismatch";
  }
  const originalBytes = (await statFile(params.input)).size;
  const event: QuantEvent = {
    input_path: params.input,
    output_path: written.path,
    model: metadata.model_name,
    target_dtype: target,
    storage_dtype: "U8",
    num_tokens: written.sidecar.num_tokens,
    num_layers: written.sidecar.num_layers,
    original_nbytes: originalBytes,
    quantized_nbytes: written.nbytes,
    compression_ratio: originalBytes / written.nbytes,
    max_quant_error: errors.max,
    verify_enabled: params.verify === true,
    verification_result: result,
    mismatch_indices: mismatches,
    timestamp: rfc3339(),
  };
  const eventPath = await writeQuantEvent(written.path, event, signal);
  if (result === "Mismatch") {
    throw new KvFormatError(`verification failed for layer(s) ${mismatches.join(", ")} (see ${eventPath})`, { code: "verification_failed", path: written.path });
  }
  return { output: written.path, sidecarPath: written.sidecarPath!, eventPath, event };
}
