/**
 * Deterministic pseudo-random streams for fixture weights: xoshiro128** seeded through splitmix32, one independent
 * stream per (seed, tensor name), so a tensor's values do not depend on the order tensors are generated in.
 * Pure 32-bit integer arithmetic: identical on every platform and Node version.
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed a non-negative safe integer. @param stream any string (the tensor name). */
  constructor(seed: number, stream: string) {
    let h = 0x811c9dc5; // FNV-1a over the UTF-16 code units of `stream`
    for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b1) ^ h;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let t = state ^ (state >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // xoshiro's one forbidden state
  }

  /**
   * Fill `out` with a zero-mean triangular distribution (sum of two uniforms, support ±√6·std) scaled to `std`,
   * plus `mean`, each value rounded to the nearest bfloat16 (ties to even) so the f32 ONNX weights and the BF16
   * safetensors weights are exactly the same numbers.
   */
  fillBf16(out: Float32Array, mean: number, std: number): void {
    const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
    const scale = (std * Math.sqrt(6)) / 65535;
    let { s0, s1, s2, s3 } = this;
    for (let i = 0; i < out.length; i++) {
      const m = Math.imul(s1, 5);
      const r = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = mean + ((r & 0xffff) + (r >>> 16) - 65535) * scale;
      const b = bits[i]!;
      bits[i] = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }
}
