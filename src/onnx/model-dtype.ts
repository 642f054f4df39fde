/**
 * Weight variants of an onnx-community export, named as transformers.js names them (`dtype` option). Each maps to
 * one file, `onnx/model{suffix}.onnx` (see {@link ONNX_FILE_SUFFIX}).
 */
export type ModelDtype =
  | "fp32"
  | "fp16"
  | "q8"
  | "int8"
  | "uint8"
  | "q4"
  | "q4f16"
  | "bnb4"
  | "q2"
  | "q2f16"
  | "q1"
  | "q1f16";

/**
 * File suffix per dtype, the table transformers.js uses (`utils/dtypes.js` `DEFAULT_DTYPE_SUFFIX_MAPPING`):
 * `fp32` → `onnx/model.onnx`, `q4f16` → `onnx/model_q4f16.onnx`, `q8` → `onnx/model_quantized.onnx`.
 */
export const ONNX_FILE_SUFFIX: Readonly<Record<ModelDtype, string>> = Object.freeze({
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
  q2: "_q2",
  q2f16: "_q2f16",
  q1: "_q1",
  q1f16: "_q1f16",
});

/** True when `value` is a {@link ModelDtype}. @example isModelDtype("q4f16") // true */
export function isModelDtype(value: unknown): value is ModelDtype {
  return typeof value === "string" && Object.hasOwn(ONNX_FILE_SUFFIX, value);
}

/** The ONNX file of a dtype variant, relative to the model folder. @example onnxFileForDtype("q4f16") // "onnx/model_q4f16.onnx" */
export function onnxFileForDtype(dtype: ModelDtype): string {
  return `onnx/model${ONNX_FILE_SUFFIX[dtype]}.onnx`;
}

/**
 * The fingerprint's `model_dtype` for a variant: `float32` / `float16` for the plain exports, the variant name
 * (`q4f16`, `q8`, …) for quantized weights.
 * @example fingerprintDtype("fp16") // "float16"
 */
export function fingerprintDtype(dtype: ModelDtype): string {
  return dtype === "fp32" ? "float32" : dtype === "fp16" ? "float16" : dtype;
}
