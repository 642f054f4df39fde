/** `kvcdn/testing` entry: a generated random-weight Qwen3 model (exact Qwen3 math) and a float64 reference forward. */
export { VERSION } from "../version.js";
export { FixtureModelError, isFixtureModelError, type FixtureModelErrorCode } from "./fixture-model-error.js";
export { FIXTURE_SHAPES, resolveFixtureShape, type FixtureShape, type FixtureShapeName, type Qwen3Dims, type ResolvedFixtureShape } from "./fixture-shapes.js";
export { FIXTURE_GENERATOR_VERSION } from "./fixture-generator-version.js";
export { QWEN3_SPECIAL_IDS } from "./qwen3-config-json.js";
export {
  createFixtureModel,
  EXTERNAL_DATA_THRESHOLD_BYTES,
  type CreateFixtureModelOptions,
  type FixtureModel,
  type FixtureProgress,
} from "./create-fixture-model.js";
export {
  BUILDER_VARIANTS,
  isFloat16Variant,
  isQ4Variant,
  ROTARY_MODES,
  variantOnnxFile,
  type BuilderVariant,
  type FixtureLayout,
  type RotaryMode,
} from "./builder-variant.js";
export { builderReferenceModel } from "./builder-variant-weights.js";
export { quantizeQ4, dequantizeQ4, Q4_BLOCK_SIZE, type Q4Matrix } from "./quantize-q4.js";
export { ensureFixtureModel, defaultFixtureCacheDir, type EnsureFixtureModelOptions } from "./ensure-fixture-model.js";
export {
  loadReferenceQwen3,
  referenceQwen3Forward,
  type ReferenceForwardInput,
  type ReferenceForwardOutput,
  type ReferenceKv,
  type ReferenceQwen3Config,
  type ReferenceQwen3Model,
} from "./reference-qwen3.js";
