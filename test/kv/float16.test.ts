import { describe, expect, it } from "vitest";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, fromBf16Bits, fromF16Bits, toBf16Bits, toF16Bits } from "../../src/kv/index.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b: number) => ((u32[0] = b), f32[0]!);
const nextUp = (x: number) => { f32[0] = x; u32[0] = x >= 0 ? u32[0]! + 1 : u32[0]! - 1; return f32[0]!; };
const nextDown = (x: number) => { f32[0] = x; u32[0] = x > 0 ? u32[0]! - 1 : u32[0]! + 1; return f32[0]!; };
const isNanF16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

/** Deterministic pseudo-random uint32 stream. */
function* lcg(seed: number, n: number): Generator<number> {
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    yield s;
  }
}

/** Reference rounding: nearest value in a sorted list of candidates, ties to the even bit pattern; computed in f64. */
function nearestEven(x: number, lo: { bits: number; value: number }, hi: { bits: number; value: number }): number {
  const dl = x - lo.value;
  const dh = hi.value - x;
  if (dl < dh) return lo.bits;
  if (dh < dl) return hi.bits;
  return (lo.bits & 1) === 0 ? lo.bits : hi.bits;
}

describe("F16", () => {
  it("widens every finite and infinite pattern exactly, and narrowing returns the same pattern", () => {
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = fromF16Bits(h);
      const back = toF16Bits(v);
      const ok = isNanF16(h) ? Number.isNaN(v) && isNanF16(back) && (back & 0x8000) === (h & 0x8000) : back === h;
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
    expect(fromF16Bits(0x3c00)).toBe(1);
    expect(fromF16Bits(0x0001)).toBe(2 ** -24);
    expect(fromF16Bits(0x7bff)).toBe(65504);
    expect(fromF16Bits(0xfc00)).toBe(-Infinity);
    expect(Object.is(fromF16Bits(0x8000), -0)).toBe(true);
  });

  it("rounds every midpoint between neighbours to the even one, and just off it to the nearer one", () => {
    const bad: string[] = [];
    const check = (x: number, want: number) => {
      if (toF16Bits(x) !== want) bad.push(`${x} -> ${toF16Bits(x).toString(16)}, want ${want.toString(16)}`);
    };
    for (let h = 0; h < 0x7bff; h++) {
      for (const sign of [0, 0x8000]) {
        const lo = fromF16Bits(h | sign);
        const hi = fromF16Bits((h + 1) | sign);
        const mid = (lo + hi) / 2; // exact in f32: 12 significant bits
        if (Math.fround(mid) !== mid) bad.push(`midpoint ${mid} is not an f32`);
        check(mid, ((h & 1) === 0 ? h : h + 1) | sign);
        check(sign === 0 ? nextUp(mid) : nextDown(mid), (h + 1) | sign);
        check(sign === 0 ? nextDown(mid) : nextUp(mid), h | sign);
      }
    }
    expect(bad).toEqual([]);
  });

  it("overflows to Inf at 65520 (tie above the largest finite), keeps 65519.99 finite", () => {
    expect(toF16Bits(65520)).toBe(0x7c00);
    expect(toF16Bits(nextDown(65520))).toBe(0x7bff);
    expect(toF16Bits(-1e10)).toBe(0xfc00);
    expect(toF16Bits(Infinity)).toBe(0x7c00);
  });

  it("handles subnormals and underflow with ties to even, keeping the sign of zero", () => {
    expect(toF16Bits(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(toF16Bits(nextUp(2 ** -25))).toBe(1);
    expect(toF16Bits(3 * 2 ** -25)).toBe(2); // tie between 1 and 2 ulps
    expect(toF16Bits(-(2 ** -30))).toBe(0x8000);
    expect(toF16Bits(fromBits(0x00000001))).toBe(0); // f32 subnormal
    expect(toF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the normal range
  });

  it("matches a brute-force nearest-even reference on random F32 values", () => {
    const finite: Array<{ bits: number; value: number }> = [];
    for (let h = 0; h <= 0x7bff; h++) finite.push({ bits: h, value: fromF16Bits(h) });
    finite.push({ bits: 0x7c00, value: 65536 }); // rounding past 65504 lands on Inf as if it were 2^16
    const src = new Float32Array(20000);
    let i = 0;
    for (const r of lcg(7, src.length)) src[i++] = fromBits((r & 0x80000000) | (0x33000000 + (r % 0x0f000000)));
    const out = f32ToF16(src);
    const bad: number[] = [];
    src.forEach((x, j) => {
      const a = Math.abs(x);
      let k = 0;
      let hiIdx = finite.length - 1;
      while (k < hiIdx) {
        const m = (k + hiIdx) >> 1;
        if (finite[m]!.value < a) k = m + 1;
        else hiIdx = m;
      }
      const want = a >= 65536 ? 0x7c00 : finite[k]!.value === a ? finite[k]!.bits : nearestEven(a, finite[k - 1]!, finite[k]!);
      if (out[j] !== (want | (x < 0 ? 0x8000 : 0))) bad.push(x);
    });
    expect(bad).toEqual([]);
  });

  it("converts arrays both ways", () => {
    const back = f16ToF32(f32ToF16(new Float32Array([1, -2, 0.5, 65504])));
    expect(Array.from(back)).toEqual([1, -2, 0.5, 65504]);
  });
});

describe("BF16", () => {
  it("is the top half of the F32 pattern when exact, and widens exactly", () => {
    expect(toBf16Bits(1)).toBe(0x3f80);
    expect(fromBf16Bits(0xc000)).toBe(-2);
    expect(Array.from(bf16ToF32(new Uint16Array([0x3f80, 0x7f80, 0xff80])))).toEqual([1, Infinity, -Infinity]);
  });

  it("matches a nearest-even reference on random F32 patterns, including overflow to Inf", () => {
    const src = new Float32Array(50000);
    let i = 0;
    for (const r of lcg(11, src.length)) src[i++] = fromBits(r);
    const out = f32ToBf16(src);
    const bad: number[] = [];
    src.forEach((x, j) => {
      const bits = new Uint32Array(src.buffer, j * 4, 1)[0]!;
      if (Number.isNaN(x)) {
        if (!((out[j]! & 0x7f80) === 0x7f80 && (out[j]! & 0x7f) !== 0)) bad.push(bits);
        return;
      }
      const loBits = bits >>> 16;
      const lo = { bits: loBits, value: Math.abs(fromBf16Bits(loBits)) };
      const hiBits = loBits + 1;
      const hiValue = (hiBits & 0x7fff) === 0x7f80 ? 2 ** 128 : Math.abs(fromBf16Bits(hiBits));
      const a = Math.abs(x);
      const want = a === lo.value || !Number.isFinite(a) ? loBits : nearestEven(a, lo, { bits: hiBits, value: hiValue });
      if (out[j] !== want) bad.push(bits);
    });
    expect(bad).toEqual([]);
  });

  it("keeps NaN a NaN (quiet) even when its payload sits in the low half", () => {
    expect(toBf16Bits(fromBits(0x7f800001))).toBe(0x7fc0);
    expect(fromBf16Bits(toBf16Bits(NaN))).toBeNaN();
  });
});
