import { describe, expect, it } from "vitest";
import { argmax, createRng, createSampler } from "../../src/onnx/index.js";

describe("argmax", () => {
  it("breaks ties toward the lowest index, like kvcdn-cli", () => {
    expect(argmax(new Float32Array([1, 3, 3, 2]))).toBe(1);
    expect(argmax(new Float32Array([-5, -5]))).toBe(0);
  });

  it("never picks NaN", () => {
    expect(argmax(new Float32Array([Number.NaN, 0.5, Number.NaN]))).toBe(1);
  });
});

describe("createRng", () => {
  it("gives the same sequence for the same seed and another for another seed", () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe("createSampler", () => {
  const logits = new Float32Array([0.1, 2.0, 1.5, -1, 1.9]);

  it("is greedy without options or at temperature 0", () => {
    expect(createSampler()(logits)).toBe(1);
    expect(createSampler({ temperature: 0, seed: 3 })(logits)).toBe(1);
  });

  it("reproduces the same draws from the same seed", () => {
    const draw = (seed: number) => {
      const pick = createSampler({ temperature: 1, seed });
      return Array.from({ length: 20 }, () => pick(logits));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(new Set(draw(42)).size).toBeGreaterThan(1);
  });

  it("top-k 1 and a tiny top-p both reduce to the argmax", () => {
    const k1 = createSampler({ topK: 1, seed: 1 });
    const p0 = createSampler({ topP: 1e-6, seed: 1 });
    for (let i = 0; i < 50; i++) {
      expect(k1(logits)).toBe(1);
      expect(p0(logits)).toBe(1);
    }
  });

  it("top-k 2 only ever returns the two best tokens", () => {
    const pick = createSampler({ topK: 2, temperature: 5, seed: 9 });
    const seen = new Set(Array.from({ length: 200 }, () => pick(logits)));
    expect([...seen].sort()).toEqual([1, 4]);
  });

  it("samples in proportion to softmax(logits / temperature)", () => {
    // p = [1/3, 2/3] at temperature 1; [1/5, 4/5] at temperature 0.5.
    const two = new Float32Array([0, Math.log(2)]);
    const share = (temperature: number) => {
      const pick = createSampler({ temperature, seed: 123 });
      let ones = 0;
      for (let i = 0; i < 4000; i++) ones += pick(two);
      return ones / 4000;
    };
    expect(share(1)).toBeCloseTo(2 / 3, 1);
    expect(share(0.5)).toBeCloseTo(4 / 5, 1);
  });

  it("rejects out-of-range options", () => {
    expect(() => createSampler({ temperature: -1 })).toThrow(RangeError);
    expect(() => createSampler({ topP: 0 })).toThrow(RangeError);
    expect(() => createSampler({ topK: 1.5 })).toThrow(RangeError);
  });
});
