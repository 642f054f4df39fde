import { carrySidecar } from "./carry-sidecar.js";
import type { KvDtype } from "./kv-cache.js";
import { readKv } from "./read-kv.js";
import { writeKv, type WriteKvResult } from "./write-kv.js";

/**
 * Rewrite a `.kv` file in another float dtype (F32, F16, BF16), dequantizing quantized input. The sidecar keeps the
 * input's model, prompt, tokens, fingerprint and unknown fields; sizes, dtypes and sha256 are recomputed. Atomic.
 * @example await convertKvFile({ input: "ctx.q8.kv", output: "ctx.f32.kv", dtype: "F32" })
 */
export async function convertKvFile(params: {
  /** Any valid `.kv`. */
  input: string;
  /** Output path; `.kv` is appended if missing. */
  output: string;
  /** Target dtype. */
  dtype: KvDtype;
  /** Write only kvcdn-cli's nine sidecar fields. @default false */
  cliCompatible?: boolean;
  /** Called with warnings (e.g. `.kv` appended). */
  onWarning?: (message: string) => void;
  /** Abort; nothing is left behind. */
  signal?: AbortSignal;
}): Promise<WriteKvResult> {
  const signal = params.signal === undefined ? {} : { signal: params.signal };
  const { cache, sidecar } = await readKv(params.input, { dtype: params.dtype, ...signal });
  return writeKv(params.output, cache, {
    sidecar: carrySidecar(sidecar),
    cliCompatible: params.cliCompatible === true,
    ...signal,
    ...(params.onWarning === undefined ? {} : { onWarning: params.onWarning }),
  });
}
