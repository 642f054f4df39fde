// Every builder-layout variant computes Qwen3: onnxruntime-node agrees with the float64 reference forward fed the
// weights that variant stores (float16-rounded, or dequantized from its 4-bit blocks), on logits and every present,
// for a prefill, a multi-token continuation over a past and single-token decodes.
import { describe, expect, it } from "vitest";
import {
  BUILDER_VARIANTS,
  builderReferenceModel,
  ensureFixtureModel,
  loadReferenceQwen3,
  referenceQwen3Forward,
  ROTARY_MODES,
  variantOnnxFile,
  type BuilderVariant,
  type ReferenceKv,
} from "../../src/testing/index.js";
import { builderForward, relativeError, type BuilderStep } from "./builder-helpers.js";
import { ort } from "./ort-helpers.js";
import { builderFixture } from "../onnx/helpers.js";

/**
 * Relative tolerance (max |diff| / max |reference|) per variant. float32 variants are float32 arithmetic through
 * MatMul / MatMulNBits / GroupQueryAttention (measured ≈ 1e-6); float16 ones keep activations and caches in float16
 * (11-bit significands: measured ≈ 1e-3). A wrong mask, RoPE, norm or packing is off by 1e-1 or more.
 */
const TOLERANCE: Record<BuilderVariant, number> = { fp32: 1e-5, q4: 1e-5, fp16: 1e-2, q4f16: 1e-2 };

const PREFIX = [9707, 11, 1246, 525, 498];
const CONTINUATION = [3730, 30];
const DECODE = [151645, 198];

describe.each(ROTARY_MODES)("builder layout, %s rotary: onnxruntime vs the float64 reference", (rotary) => {
  it.each(BUILDER_VARIANTS)("%s: prefill, continuation over a past and decode agree on logits and every present", async (variant) => {
    const dir = await ensureFixtureModel(builderFixture(rotary));
    const session = await ort.InferenceSession.create(`${dir}/${variantOnnxFile(variant)}`);
    expect(session.inputNames.includes("position_ids")).toBe(rotary === "separate");
    const reference = builderReferenceModel(await loadReferenceQwen3(dir), variant);
    const c = reference.config;
    const dims = { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads, headDim: c.head_dim };
    const tolerance = TOLERANCE[variant];
    const worst = { logits: 0, present: 0 };
    const compare = (step: BuilderStep, ref: { logits: Float64Array; present: ReferenceKv[] }, what: string): void => {
      const logits = relativeError(step.logits, ref.logits);
      expect(logits, `${what} logits`).toBeLessThan(tolerance);
      worst.logits = Math.max(worst.logits, logits);
      ref.present.forEach((kv, i) => {
        const p = step.presentF32[i]!;
        expect(p.dims).toEqual(kv.dims);
        for (const [name, a, b] of [["key", p.key, kv.key], ["value", p.value, kv.value]] as const) {
          const e = relativeError(a, b);
          expect(e, `${what} present.${i}.${name}`).toBeLessThan(tolerance);
          worst.present = Math.max(worst.present, e);
        }
      });
    };
    try {
      let step = await builderForward(session, dims, PREFIX);
      let ref = referenceQwen3Forward(reference, { inputIds: [PREFIX] });
      compare(step, ref, "prefill");
      step = await builderForward(session, dims, CONTINUATION, step.present);
      ref = referenceQwen3Forward(reference, { inputIds: [CONTINUATION], pastKeyValues: ref.present });
      compare(step, ref, "continuation");
      for (const id of DECODE) {
        step = await builderForward(session, dims, [id], step.present);
        ref = referenceQwen3Forward(reference, { inputIds: [[id]], pastKeyValues: ref.present });
        compare(step, ref, `decode ${id}`);
      }
      expect(step.presentF32[0]!.dims[2]).toBe(PREFIX.length + CONTINUATION.length + DECODE.length);
      console.log(`${variant} ${rotary}: worst relative error logits ${worst.logits.toExponential(2)}, present ${worst.present.toExponential(2)}`);
    } finally {
      await session.release();
    }
  });

  it("the comparison sees quantization: q4 against the reference with the original weights is far outside its tolerance", async () => {
    const dir = await ensureFixtureModel(builderFixture(rotary));
    const session = await ort.InferenceSession.create(`${dir}/${variantOnnxFile("q4")}`);
    try {
      const original = await loadReferenceQwen3(dir);
      const c = original.config;
      const dims = { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads, headDim: c.head_dim };
      const step = await builderForward(session, dims, PREFIX);
      const error = relativeError(step.logits, referenceQwen3Forward(original, { inputIds: [PREFIX] }).logits);
      expect(error).toBeGreaterThan(100 * TOLERANCE.q4);
    } finally {
      await session.release();
    }
  });
});
