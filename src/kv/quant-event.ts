import { Buffer } from "node:buffer";
import { castKvArray } from "./cast-kv.js";
import { writeFileAtomic } from "./fs/atomic-file.js";
import type { KvCache } from "./kv-cache.js";
import { dequantizeValues, type QuantizedKv } from "./quantize.js";

/** Outcome of a quantization check, spelled as kvcdn-cli spells it. */
export type VerificationResult = "Match" | "Mismatch" | "Skipped";

/** The `<output>.quant-event.json` record (kvcdn-cli `write_quant_event`), fields in its order, wire names. */
export interface QuantEvent {
  input_path: string;
  output_path: string;
  /** Model id (`model_name` of the input). */
  model: string;
  /** The quantization target (`F16`, `F32`, `BF16`, `FP8`, `I8`). */
  target_dtype: string;
  /** Always `"U8"`. */
  storage_dtype: string;
  num_tokens: number;
  num_layers: number;
  /** Size of the input `.kv` in bytes. */
  original_nbytes: number;
  /** Size of the output `.kv` in bytes. */
  quantized_nbytes: number;
  /** `original_nbytes / quantized_nbytes`. */
  compression_ratio: number;
  /** Largest |x − dequantize(quantize(x))| over all tensors, in F32 values. */
  max_quant_error: number;
  verify_enabled: boolean;
  verification_result: VerificationResult;
  /** kvcdn: indices of the layers that failed verification (empty unless `Mismatch`). */
  mismatch_indices: number[];
  /** RFC 3339 time of the event. */
  timestamp: string;
}

const ORDER = [
  "input_path",
  "output_path",
  "model",
  "target_dtype",
  "storage_dtype",
  "num_tokens",
  "num_layers",
  "original_nbytes",
  "quantized_nbytes",
  "compression_ratio",
  "max_quant_error",
  "verify_enabled",
  "verification_result",
  "mismatch_indices",
  "timestamp",
] as const satisfies ReadonlyArray<keyof QuantEvent>;

const FLOATS = new Set<string>(["compression_ratio", "max_quant_error"]);

/**
 * Format an f64 as serde_json does (shortest round-trip digits in ryu's layout): always a fraction or an exponent
 * (`2.0`, `0.001234`, `1e-7`, `1.5e-7`), never JavaScript's bare `2`; non-finite values are `null`.
 * @example formatRustF64(2) // "2.0"
 */
export function formatRustF64(value: number): string {
  if (!Number.isFinite(value)) return "null";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  const [mantissa, exp] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exp10 = Number(exp);
  const length = digits.length;
  if (exp10 >= -5 && exp10 <= 15) {
    if (length - 1 <= exp10) return `${sign}${digits}${"0".repeat(exp10 + 1 - length)}.0`;
    if (exp10 >= 0) return `${sign}${digits.slice(0, exp10 + 1)}.${digits.slice(exp10 + 1)}`;
    return `${sign}0.${"0".repeat(-exp10 - 1)}${digits}`;
  }
  return `${sign}${digits[0]}${length > 1 ? `.${digits.slice(1)}` : ""}e${exp10}`;
}

/** An RFC 3339 UTC timestamp with milliseconds and a `+00:00` offset, as chrono's `to_rfc3339` writes UTC. */
export function rfc3339(date: Date = new Date()): string {
  return date.toISOString().replace(/Z$/, "+00:00");
}

/**
 * Format a quant event like serde_json's pretty printer: 2-space indent, fields in kvcdn-cli's order, floats with a
 * fraction, no trailing newline.
 */
export function formatQuantEvent(event: QuantEvent): string {
  const lines = ORDER.map((key) => {
    const v = event[key];
    let text: string;
    if (FLOATS.has(key)) text = formatRustF64(v as number);
    else if (Array.isArray(v)) text = v.length === 0 ? "[]" : `[\n${v.map((x) => `    ${JSON.stringify(x)}`).join(",\n")}\n  ]`;
    else text = JSON.stringify(v);
    return `  ${JSON.stringify(key)}: ${text}`;
  });
  return `{\n${lines.join(",\n")}\n}`;
}

/** `<outputPath>.quant-event.json`. */
export function quantEventPath(outputPath: string): string {
  return `${outputPath}.quant-event.json`;
}

/**
 * Write `<outputPath>.quant-event.json` atomically. Call it before failing on a mismatch, so the record says
 * `"Mismatch"` (kvcdn-cli exits first and leaves `"Skipped"`).
 * @example await writeQuantEvent("ctx.q8.kv", event)
 */
export async function writeQuantEvent(outputPath: string, event: QuantEvent, options: { signal?: AbortSignal } = {}): Promise<string> {
  const path = quantEventPath(outputPath);
  await writeFileAtomic(path, (f) => f.write(Buffer.from(formatQuantEvent(event), "utf8")), options.signal);
  return path;
}

/**
 * Per-layer largest |x − dequantize(q)| between a cache and its quantization (F32 arithmetic on both sides),
 * and the overall maximum.
 */
export function quantErrors(cache: KvCache, quantized: QuantizedKv): { perLayer: number[]; max: number } {
  const perLayer = cache.layers.map((layer, i) => {
    let worst = 0;
    const q = quantized.layers[i]!;
    for (const [t, qt] of [[layer.key, q.key], [layer.value, q.value]] as const) {
      const x = castKvArray(t.data, t.dtype, "F32");
      const y = dequantizeValues(qt.q, qt.scale);
      for (let j = 0; j < x.length; j++) {
        const d = Math.abs(x[j]! - y[j]!);
        if (d > worst) worst = d;
      }
    }
    return worst;
  });
  return { perLayer, max: perLayer.reduce((a, b) => Math.max(a, b), 0) };
}
