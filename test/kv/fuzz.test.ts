// Property: any mutation of a valid .kv file (and of its sidecar) either decodes to a consistent cache or throws a
// KvFormatError — never another exception, a hang or an allocation sized by a header number.
import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  KvFormatError,
  decodeKv,
  encodeSafetensors,
  parseSafetensors,
  parseSidecar,
  validateKvCache,
  type KvSidecar,
} from "../../src/kv/index.js";

const FIXTURES = new URL("../fixtures/kv/", import.meta.url);
const load = async (name: string) => new Uint8Array(await readFile(new URL(name, FIXTURES)));
const bases = await Promise.all(
  ["golden-f16.kv", "golden-q8.kv", "golden-bf16.kv"].map(async (n) => ({ kv: await load(n), sidecar: new TextDecoder().decode(await load(`${n}.json`)) })),
);

type Mutation =
  | { kind: "set"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "length"; value: bigint }
  | { kind: "lengthDelta"; delta: number }
  | { kind: "headerChar"; at: number; char: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 9 }) }),
  fc.record({ kind: fc.constant("length" as const), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
  fc.record({ kind: fc.constant("lengthDelta" as const), delta: fc.integer({ min: -16, max: 16 }) }),
  fc.record({ kind: fc.constant("headerChar" as const), at: fc.nat(), char: fc.constantFrom(..."0123456789{}[],:\" -.eE_kvqsFUB".split("")) }),
);

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const b = input.slice();
  const n = b.length === 0 ? 1 : b.length;
  switch (m.kind) {
    case "set":
      if (b.length > 0) b[m.at % n] = m.value;
      return b;
    case "truncate":
      return b.slice(0, m.at % (n + 1));
    case "insert": {
      const at = m.at % (b.length + 1);
      return Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    }
    case "length":
      if (b.length >= 8) new DataView(b.buffer).setBigUint64(0, m.value, true);
      return b;
    case "lengthDelta":
      if (b.length >= 8) {
        const v = new DataView(b.buffer);
        const next = v.getBigUint64(0, true) + BigInt(m.delta);
        v.setBigUint64(0, next < 0n ? 0n : next, true);
      }
      return b;
    case "headerChar": {
      if (b.length < 9) return b;
      const headerLen = Math.min(Number(new DataView(b.buffer).getBigUint64(0, true)), b.length - 8);
      if (headerLen <= 0) return b;
      b[8 + (m.at % headerLen)] = m.char.charCodeAt(0);
      return b;
    }
  }
}

/** When decoding succeeds, the result must agree with itself and with a re-encode of the container. */
function checkConsistent(bytes: Uint8Array, sidecar: KvSidecar | undefined): void {
  const r = decodeKv(bytes, { sidecar });
  const info = validateKvCache(r.cache);
  expect(r.metadata.num_layers).toBe(info.numLayers);
  expect(r.metadata.num_tokens).toBe(info.numTokens);
  expect(r.metadata.quantized).toBe(r.quantized !== undefined);
  const { header, tensors } = parseSafetensors(bytes);
  expect(header.fileSize).toBe(bytes.length);
  let total = 0;
  for (const t of tensors.values()) total += t.data.byteLength;
  expect(header.dataOffset + total).toBe(bytes.length);
  const again = parseSafetensors(encodeSafetensors(tensors)).tensors;
  expect([...again.keys()].sort()).toEqual([...tensors.keys()].sort());
  for (const [name, t] of tensors) expect(again.get(name)!.data).toEqual(t.data);
}

function onlyKvFormatErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KvFormatError)) throw e;
    expect(typeof e.code).toBe("string");
  }
}

describe("fuzzing the .kv decoder", () => {
  it("either decodes consistently or throws KvFormatError for 10,000 mutated files", () => {
    let decoded = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (which, ms, withSidecar) => {
        const base = bases[which]!;
        const bytes = ms.reduce(mutate, base.kv);
        onlyKvFormatErrors(() => {
          checkConsistent(bytes, withSidecar ? parseSidecar(base.sidecar) : undefined);
          decoded++;
        });
      }),
      { numRuns: 10_000, seed: 20260501 },
    );
    // Sanity: the mutations are not all fatal (e.g. byte flips in tensor data still decode).
    expect(decoded).toBeGreaterThan(100);
  });

  it("either parses or throws KvFormatError for 3,000 mutated sidecars", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, ms) => {
        const text = bases[which]!.sidecar;
        const bytes = ms.filter((m) => m.kind !== "length" && m.kind !== "lengthDelta" && m.kind !== "headerChar").reduce(mutate, new TextEncoder().encode(text));
        onlyKvFormatErrors(() => {
          const s = parseSidecar(bytes);
          onlyKvFormatErrors(() => checkConsistent(bases[which]!.kv, s));
        });
      }),
      { numRuns: 3_000, seed: 7 },
    );
  });
});
