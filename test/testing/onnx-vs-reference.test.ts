// The generated ONNX graph computes Qwen3: onnxruntime-node agrees with the independent float64 reference forward
// on logits and on every present tensor, with and without past_key_values.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ensureFixtureModel, loadReferenceQwen3, referenceQwen3Forward, type ReferenceQwen3Model } from "../../src/testing/index.js";
import { expectClose, expectPresentClose, logitsRows, openSession, ortForward, type ort } from "./ort-helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let session: ort.InferenceSession;
let model: ReferenceQwen3Model;
let dims: { layers: number; kvHeads: number; headDim: number };

beforeAll(async () => {
  const dir = await ensureFixtureModel({ shape: "tiny", seed: 1 });
  [session, model] = await Promise.all([openSession(dir), loadReferenceQwen3(dir)]);
  const c = model.config;
  dims = { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads, headDim: c.head_dim };
});

const PROMPTS: Array<[string, number[]]> = [
  ["one token", [151643]],
  ["How are you doing?", [4340, 525, 498, 3730, 30]],
  ["ChatML header", [151644, 872, 198, 9707, 11, 1246, 525, 498, 30, 151645, 198, 151644, 77091, 198]],
  ["a repeated id", [13, 13, 13, 13, 13, 13]],
  ["ids across the vocabulary", [0, 151935, 75000, 42, 100000, 7]],
];

describe("tiny fixture: onnxruntime vs the float64 reference", () => {
  it.each(PROMPTS)("prefill of %s matches on logits and every present", async (_, ids) => {
    const ortOut = await ortForward(session, dims, { ids: [ids] });
    const ref = referenceQwen3Forward(model, { inputIds: [ids] });
    expect([...ortOut.logitsDims]).toEqual([1, ids.length, model.config.vocab_size]);
    expectClose(ortOut.logits, ref.logits, "logits");
    expectPresentClose(ortOut.present, ref.present, "prefill");
  });

  it("prefill 7 tokens then decode 3 one by one equals a 10-token prefill", async () => {
    const ids = [4340, 525, 498, 3730, 30, 151645, 198, 9707, 11, 1246];
    const full = await ortForward(session, dims, { ids: [ids] });

    let step = await ortForward(session, dims, { ids: [ids.slice(0, 7)] });
    const decoded: number[][] = [logitsRows(step.logits, step.logitsDims, 0, 6, 7)];
    for (let t = 7; t < 10; t++) {
      step = await ortForward(session, dims, { ids: [[ids[t]!]], past: step.present });
      expect(step.present[0]!.key.dims[2]).toBe(t + 1);
      decoded.push(logitsRows(step.logits, step.logitsDims, 0, 0, 1));
    }
    // Last-position logits of each step equal the corresponding rows of the full prefill.
    expectClose(decoded.flat(), logitsRows(full.logits, full.logitsDims, 0, 6, 10), "incremental logits");
    // The grown cache equals the full prefill's cache (same math, different batching: fp32 rounding only).
    for (let i = 0; i < dims.layers; i++) {
      expectClose(step.present[i]!.key.data as Float32Array, full.present[i]!.key.data as Float32Array, `present.${i}.key`);
      expectClose(step.present[i]!.value.data as Float32Array, full.present[i]!.value.data as Float32Array, `present.${i}.value`);
    }
  });

  it("decoding with past_key_values matches the reference fed the same past", async () => {
    const prefix = [9707, 11, 1246, 525, 498];
    const suffix = [3730, 30];
    const ortPrefix = await ortForward(session, dims, { ids: [prefix] });
    const ortSuffix = await ortForward(session, dims, { ids: [suffix], past: ortPrefix.present });
    const refPrefix = referenceQwen3Forward(model, { inputIds: [prefix] });
    const refSuffix = referenceQwen3Forward(model, { inputIds: [suffix], pastKeyValues: refPrefix.present });
    expect([...ortSuffix.logitsDims]).toEqual([1, 2, model.config.vocab_size]);
    expectClose(ortSuffix.logits, refSuffix.logits, "suffix logits");
    expectPresentClose(ortSuffix.present, refSuffix.present, "suffix");
    // And the reference agrees with itself: prefix + suffix with past equals one prefill.
    const refFull = referenceQwen3Forward(model, { inputIds: [[...prefix, ...suffix]] });
    expectClose(refSuffix.logits, refFull.logits.subarray(5 * model.config.vocab_size), "reference with past");
  });

  it("position_ids drive RoPE: shifted positions rotate the keys but leave logits unchanged (RoPE is relative)", async () => {
    const ids = [4340, 525, 498];
    const positions = [[100, 101, 102]];
    const ortOut = await ortForward(session, dims, { ids: [ids], positions });
    const ref = referenceQwen3Forward(model, { inputIds: [ids], positionIds: positions });
    expectClose(ortOut.logits, ref.logits, "shifted logits");
    expectPresentClose(ortOut.present, ref.present, "shifted");
    const unshifted = await ortForward(session, dims, { ids: [ids] });
    expectClose(ortOut.logits, unshifted.logits, "logits at positions 0-2 vs 100-102");
    const k0 = unshifted.present[0]!.key.data as Float32Array;
    const k100 = ortOut.present[0]!.key.data as Float32Array;
    expect(Math.max(...k0.map((v, i) => Math.abs(v - k100[i]!)))).toBeGreaterThan(0.1);
  });
});
