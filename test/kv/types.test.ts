import { describe, expectTypeOf, it } from "vitest";
import type {
  KvArray,
  KvCache,
  KvFormatError,
  KvSidecar,
  QuantizedKv,
  RawTensor,
  ReadKvResult,
  SafetensorsHeader,
  WriteKvResult,
} from "../../src/kv/index.js";
import { decodeKv, encodeSafetensors, readKv, readSafetensors, writeKv, writeSafetensors } from "../../src/kv/index.js";
import type { KvcdnError } from "../../src/errors/index.js";

describe("kvcdn/kv public types", () => {
  it("keeps F16/BF16 data as Uint16Array bit patterns and F32 as Float32Array", () => {
    expectTypeOf<KvArray<"F32">>().toEqualTypeOf<Float32Array>();
    expectTypeOf<KvArray<"F16">>().toEqualTypeOf<Uint16Array>();
    expectTypeOf<KvArray<"BF16">>().toEqualTypeOf<Uint16Array>();
  });

  it("types readKv by the requested dtype", () => {
    expectTypeOf(readKv<"F32">).returns.resolves.toEqualTypeOf<ReadKvResult<"F32">>();
    expectTypeOf<ReadKvResult<"F32">["cache"]>().toEqualTypeOf<KvCache<"F32">>();
    expectTypeOf(decodeKv).parameter(0).toEqualTypeOf<Uint8Array>();
  });

  it("accepts a cache or a quantized cache in writeKv and reports what it wrote", () => {
    expectTypeOf(writeKv).parameter(1).toEqualTypeOf<KvCache | QuantizedKv>();
    expectTypeOf(writeKv).returns.resolves.toEqualTypeOf<WriteKvResult>();
  });

  it("works on plain records or Maps of raw tensors", () => {
    expectTypeOf(encodeSafetensors).toBeCallableWith({ a: {} as RawTensor });
    expectTypeOf(encodeSafetensors).toBeCallableWith(new Map<string, RawTensor>());
    expectTypeOf(writeSafetensors).toBeCallableWith("x", new Map<string, RawTensor>());
    expectTypeOf(readSafetensors).returns.resolves.toHaveProperty("header").toEqualTypeOf<SafetensorsHeader>();
  });

  it("keeps sidecar wire names and lets unknown fields through", () => {
    expectTypeOf<KvSidecar["num_tokens"]>().toEqualTypeOf<number>();
    expectTypeOf<KvSidecar["storage_dtype"]>().toEqualTypeOf<string | null>();
    expectTypeOf<KvSidecar>().toHaveProperty("anything_else").toEqualTypeOf<unknown>();
  });

  it("roots KvFormatError in KvcdnError", () => {
    expectTypeOf<KvFormatError>().toMatchTypeOf<KvcdnError>();
  });
});
