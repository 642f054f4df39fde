// Widening on two threads (src/kv/widen-in-parallel.ts, src/kv/widen-worker.ts): the helper thread's own copy of the
// conversion must agree with f16ToF32 / bf16ToF32 bit for bit, answer in transferred plain buffers, and readKv must
// return the same cache through it as through one thread.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { castKv, f16ToF32, bf16ToF32, readKv, writeKv, type KvCache } from "../../src/kv/index.js";
import { PARALLEL_WIDEN_MIN_ELEMENTS, widenToF32InParallel } from "../../src/kv/widen-in-parallel.js";
import { postWidenTask, type WidenAnswer } from "../../src/kv/widen-worker.js";

const root = join(import.meta.dirname, "..", "..");
const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** `count` arrays of `length` elements on one SharedArrayBuffer, cycling through every 16-bit pattern. */
function sharedPatterns(count: number, length: number, offset = 0): Uint16Array[] {
  const sab = new SharedArrayBuffer(2 * (offset + count * length));
  const all = new Uint16Array(sab);
  for (let i = 0; i < all.length; i++) all[i] = (i * 40503) & 0xffff;
  return Array.from({ length: count }, (_, i) => new Uint16Array(sab, 2 * (offset + i * length), length));
}

describe("the widening helper thread", () => {
  for (const from of ["F16", "BF16"] as const) {
    it(`widens every ${from} pattern exactly as this thread does, into the buffers it is given, and gives them back`, async () => {
      const [src] = sharedPatterns(1, 65536);
      const outputs = [new ArrayBuffer(4 * 65536)];
      const answers: WidenAnswer[] = [];
      await new Promise<void>((resolve, reject) => {
        const stop = postWidenTask({ id: -1, source: src!.buffer as SharedArrayBuffer, jobs: [[0, 65536]], from, outputs }, (a) => {
          if (a instanceof Error) return reject(a);
          answers.push(a);
          if ("finished" in a || "error" in a) {
            stop();
            resolve();
          }
        });
      });
      expect(outputs[0]!.byteLength, "the output buffer went to the helper").toBe(0);
      expect(answers.map((a) => Object.keys(a).sort().join())).toEqual(["buffer,id,index", "finished,id"]);
      const back = answers[0] as { buffer: ArrayBuffer };
      expect(back.buffer.byteLength).toBe(4 * 65536);
      const expected = from === "F16" ? f16ToF32(Uint16Array.from(src!)) : bf16ToF32(Uint16Array.from(src!));
      expect(new Uint32Array(back.buffer)).toEqual(bitsOf(expected));
    });
  }
});

describe("widenToF32InParallel", () => {
  it("returns every array widened, in order, as plain buffers of their own, whichever thread widened it", async () => {
    // Five shared arrays (the helper takes the last two) and two plain ones, at odd offsets into the shared buffer.
    const shared = sharedPatterns(5, 70001, 3);
    const plain = [Uint16Array.from({ length: 1000 }, (_, i) => i * 7), new Uint16Array([0x3c00, 0x7c00, 0xfc00, 0x7e00, 1])];
    const arrays = [plain[0]!, ...shared.slice(0, 2), plain[1]!, ...shared.slice(2)];
    for (const from of ["F16", "BF16"] as const) {
      const out = await widenToF32InParallel(arrays, from, { minElements: 0 });
      expect(out).toHaveLength(arrays.length);
      out.forEach((a, i) => {
        const src = Uint16Array.from(arrays[i]!);
        expect(bitsOf(a)).toEqual(bitsOf(from === "F16" ? f16ToF32(src) : bf16ToF32(src)));
        expect(a.buffer).not.toBeInstanceOf(SharedArrayBuffer);
        expect(a.buffer.byteLength).toBe(4 * a.length);
      });
    }
  });

  it("widens small batches and plain arrays on this thread (same values)", async () => {
    const arrays = sharedPatterns(2, 8);
    const out = await widenToF32InParallel(arrays, "F16");
    expect(out.map((a) => Array.from(bitsOf(a)))).toEqual(arrays.map((a) => Array.from(bitsOf(f16ToF32(Uint16Array.from(a))))));
  });

  it("answers two batches in flight at once with their own arrays", async () => {
    const a = sharedPatterns(4, 50000, 1);
    const b = sharedPatterns(4, 50000, 2);
    const [x, y] = await Promise.all([widenToF32InParallel(a, "F16", { minElements: 0 }), widenToF32InParallel(b, "F16", { minElements: 0 })]);
    x!.forEach((arr, i) => expect(bitsOf(arr)).toEqual(bitsOf(f16ToF32(Uint16Array.from(a[i]!)))));
    y!.forEach((arr, i) => expect(bitsOf(arr)).toEqual(bitsOf(f16ToF32(Uint16Array.from(b[i]!)))));
  });
});

describe("readKv of a large F16 file as F32", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("returns the cache one thread would, in plain arrays, and checks the sha256 as before", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kvcdn-widen-"));
    dirs.push(dir);
    // 4 layers × [1, 2, 40000, 8] = 2.56 M elements, above the threshold: the two-thread path.
    const shape = [1, 2, 40000, 8] as [number, number, number, number];
    const n = 2 * 40000 * 8;
    expect(4 * 2 * n).toBeGreaterThan(PARALLEL_WIDEN_MIN_ELEMENTS);
    const tensor = (seed: number) => ({ dtype: "F16" as const, shape, data: Uint16Array.from({ length: n }, (_, i) => ((i + seed) * 2654435761) & 0x7bff) });
    const cache: KvCache<"F16"> = { dtype: "F16", layers: Array.from({ length: 4 }, (_, l) => ({ key: tensor(2 * l), value: tensor(2 * l + 1) })) };
    const file = join(dir, "big.kv");
    await writeKv(file, cache, { sidecar: { model_name: "m" } });
    const wide = await readKv(file, { dtype: "F32", recordVerification: false });
    const reference = castKv((await readKv(file, { recordVerification: false })).cache, "F32");
    expect(wide.cache.dtype).toBe("F32");
    wide.cache.layers.forEach((layer, l) => {
      for (const kind of ["key", "value"] as const) {
        expect(layer[kind].shape).toEqual(shape);
        expect(layer[kind].data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
        expect(bitsOf(layer[kind].data as Float32Array)).toEqual(bitsOf(reference.layers[l]![kind].data as Float32Array));
      }
    });
  });

  it("lets a process that used it exit on its own, in the ESM and CommonJS builds", () => {
    // The helper thread stays for later calls but must not hold the process open once no call waits on it.
    const body =
      `const dir = mkdtempSync(join(tmpdir(), "kvcdn-widen-exit-"));` +
      `const t = () => ({ dtype: "F16", shape: [1, 2, 40000, 8], data: new Uint16Array(640000).fill(0x3c00) });` +
      `(async () => {` +
      `  await writeKv(join(dir, "a.kv"), { dtype: "F16", layers: [0, 1, 2, 3].map(() => ({ key: t(), value: t() })) });` +
      `  const { cache } = await readKv(join(dir, "a.kv"), { dtype: "F32" });` +
      `  rmSync(dir, { recursive: true });` +
      `  console.log(cache.layers[3].value.data[12345]);` +
      `})();`;
    const runs = {
      cjs: ["-e", `const { readKv, writeKv } = require("./dist/kv.cjs"); const { mkdtempSync, rmSync } = require("node:fs"); const { join } = require("node:path"); const { tmpdir } = require("node:os"); ${body}`],
      esm: ["--input-type=module", "-e", `import { readKv, writeKv } from "./dist/kv.js"; import { mkdtempSync, rmSync } from "node:fs"; import { join } from "node:path"; import { tmpdir } from "node:os"; ${body}`],
    };
    for (const [kind, args] of Object.entries(runs)) {
      const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 60_000 });
      expect(r.stderr, kind).toBe("");
      expect(r.status, `${kind} exits with 0 (not killed by the timeout)`).toBe(0);
      expect(r.stdout.trim(), kind).toBe("1");
    }
  });
});
