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

type ReferenceStep = { logits: Float64Array; present: ReferenceKv[] };

/** Assert one forward's logits and every present are within `tolerance` of the reference's; returns the worst errors. */
function expectStepClose(step: BuilderStep, ref: ReferenceStep, tolerance: number, what: string): { logits: number; present: number } {
  const logits = relativeError(step.logits, ref.logits);
  expect(logits, `${what} logits`).toBeLessThan(tolerance);
  let present = 0;
  ref.present.forEach((kv, i) => {
    const p = step.presentF32[i]!;
    expect(p.dims).toEqual(kv.dims);
    for (const [name, a, b] of [["key", p.key, kv.key], ["value", p.value, kv.value]] as const) {
      const e = relativeError(a, b);
      expect(e, `${what} present.${i}.${name}`).toBeLessThan(tolerance);
      present = Math.max(present, e);
    }
  });
  return { logits, present };
}

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
    const compare = (step: BuilderStep, ref: ReferenceStep, what: string): void => {
      const e = expectStepClose(step, ref, tolerance, what);
      worst.logits = Math.max(worst.logits, e.logits);
      worst.present = Math.max(worst.present, e.present);
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

// Qwen3-0.6B's attention shape (16 query heads over 8 KV heads of width 128) and several 4-bit blocks per row, at a
// size the reference runs in a moment: the contrib kernels pick code paths by head size.
const WIDE_HEADS = { num_hidden_layers: 2, hidden_size: 256, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, intermediate_size: 384, vocab_size: 1024, max_position_embeddings: 512 };

describe.each(ROTARY_MODES)("Qwen3-0.6B attention shape, %s rotary", (rotary) => {
  it.each(BUILDER_VARIANTS)("%s agrees with the reference through prefill, continuation and decode", async (variant) => {
    const dir = await ensureFixtureModel({ shape: WIDE_HEADS, seed: 2, layout: "builder", variants: BUILDER_VARIANTS, rotary });
    const session = await ort.InferenceSession.create(`${dir}/${variantOnnxFile(variant)}`);
    try {
      const reference = builderReferenceModel(await loadReferenceQwen3(dir), variant);
      const c = reference.config;
      const dims = { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads, headDim: c.head_dim };
      let step = await builderForward(session, dims, [5, 900, 17, 3]);
      let ref = referenceQwen3Forward(reference, { inputIds: [[5, 900, 17, 3]] });
      const check = (what: string): unknown => expectStepClose(step, ref, TOLERANCE[variant], what);
      check("prefill");
      step = await builderForward(session, dims, [44, 1000], step.present);
      ref = referenceQwen3Forward(reference, { inputIds: [[44, 1000]], pastKeyValues: ref.present });
      check("continuation");
      step = await builderForward(session, dims, [7], step.present);
      ref = referenceQwen3Forward(reference, { inputIds: [[7]], pastKeyValues: ref.present });
      check("decode");
    } finally {
      await session.release();
    }
  });
});
