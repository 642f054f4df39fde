import { onnxFileForDtype } from "../onnx/model-dtype.js";
import { FixtureModelError } from "./fixture-model-error.js";

/**
 * How the fixture's ONNX graph is written: `plain` (standard ops, float32, `onnx/model.onnx`) or `builder` (the way
 * onnxruntime-genai's model builder writes Qwen3, with `com.microsoft` contrib ops; see docs/builder-layout.md).
 */
export type FixtureLayout = "plain" | "builder";

/**
 * A builder-layout weight variant, named as transformers.js names dtypes: `fp32` (`onnx/model.onnx` +
 * `model.onnx_data`), `fp16` (`model_fp16.onnx` + `.onnx_data`, float16 I/O), `q4f16` (`model_q4f16.onnx`, 4-bit
 * MatMulNBits with float16 scales and float16 I/O), `q4` (`model_q4.onnx`, 4-bit with float32 scales and I/O).
 */
export type BuilderVariant = "fp32" | "fp16" | "q4f16" | "q4";

/** Where rotary embeddings run: a `RotaryEmbedding` node fed by `position_ids` (`separate`), or inside GroupQueryAttention (`fused`, `do_rotary=1`, no `position_ids` input). */
export type RotaryMode = "separate" | "fused";

/** Every builder variant, in the order they are written. */
export const BUILDER_VARIANTS: readonly BuilderVariant[] = Object.freeze(["fp32", "fp16", "q4f16", "q4"]);
/** Both rotary modes. */
export const ROTARY_MODES: readonly RotaryMode[] = Object.freeze(["separate", "fused"]);

/** Whether a variant's graph takes and returns float16 (past, present, logits, activations). */
export const isFloat16Variant = (v: BuilderVariant): boolean => v === "fp16" || v === "q4f16";
/** Whether a variant's linear layers are 4-bit `MatMulNBits`. */
export const isQ4Variant = (v: BuilderVariant): boolean => v === "q4" || v === "q4f16";
/** Whether a variant keeps its weights in one `model*.onnx_data` file (fp32, fp16) rather than inside the graph (q4, q4f16). */
export const usesExternalData = (v: BuilderVariant): boolean => !isQ4Variant(v);

/** The graph file of a variant, relative to the model folder. @example variantOnnxFile("q4f16") // "onnx/model_q4f16.onnx" */
export function variantOnnxFile(variant: BuilderVariant): string {
  return onnxFileForDtype(variant);
}

/**
 * Check and normalize a variant list (a single variant or several; duplicates removed, order of {@link BUILDER_VARIANTS}).
 * @throws FixtureModelError `bad_options` for an unknown or empty list.
 */
export function resolveBuilderVariants(value: BuilderVariant | readonly BuilderVariant[] | undefined): BuilderVariant[] {
  const list = value === undefined ? ["q4f16"] : typeof value === "string" ? [value] : [...value];
  for (const v of list) {
    if (!BUILDER_VARIANTS.includes(v as BuilderVariant)) {
      throw new FixtureModelError(`unknown builder variant ${JSON.stringify(v)}; use ${BUILDER_VARIANTS.join(", ")}`, { code: "bad_options" });
    }
  }
  if (list.length === 0) throw new FixtureModelError("variants must name at least one builder variant", { code: "bad_options" });
  return BUILDER_VARIANTS.filter((v) => list.includes(v));
}

/** @throws FixtureModelError `bad_options` for anything but `separate` or `fused`. */
export function resolveRotaryMode(value: RotaryMode | undefined): RotaryMode {
  const mode = value ?? "separate";
  if (!ROTARY_MODES.includes(mode)) {
    throw new FixtureModelError(`unknown rotary mode ${JSON.stringify(mode)}; use separate or fused`, { code: "bad_options" });
  }
  return mode;
}

/** The layout options of a fixture request, resolved: builder variants and rotary mode are set only for `builder`. */
export interface ResolvedLayout {
  layout: FixtureLayout;
  builder: boolean;
  variants: BuilderVariant[];
  rotary: RotaryMode | undefined;
}

/**
 * Resolve and cross-check `layout`, `variants`, `rotary` and `externalData` of a fixture request.
 * @throws FixtureModelError `bad_options` for an unknown layout, builder options on the plain layout, or
 *   `externalData` on the builder layout (whose variants decide it: fp32 / fp16 external, q4 / q4f16 inline).
 */
export function resolveLayout(options: {
  layout?: FixtureLayout;
  variants?: BuilderVariant | readonly BuilderVariant[];
  rotary?: RotaryMode;
  externalData?: boolean | "auto";
}): ResolvedLayout {
  const layout = options.layout ?? "plain";
  if (layout !== "plain" && layout !== "builder") {
    throw new FixtureModelError(`unknown layout ${JSON.stringify(layout)}; use plain or builder`, { code: "bad_options" });
  }
  const builder = layout === "builder";
  if (!builder && (options.variants !== undefined || options.rotary !== undefined)) {
    throw new FixtureModelError("variants and rotary apply to the builder layout only", { code: "bad_options" });
  }
  if (builder && options.externalData !== undefined && options.externalData !== "auto") {
    throw new FixtureModelError("externalData does not apply to the builder layout: fp32/fp16 always use onnx_data, q4 never", { code: "bad_options" });
  }
  return {
    layout,
    builder,
    variants: builder ? resolveBuilderVariants(options.variants) : [],
    rotary: builder ? resolveRotaryMode(options.rotary) : undefined,
  };
}
