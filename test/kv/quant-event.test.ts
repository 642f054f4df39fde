import { describe, expect, it } from "vitest";
import { type QuantEvent } from "../../src/kv/index.js";
import { formatQuantEvent, formatRustF64, rfc3339 } from "../../src/kv/quant-event.js";

describe("formatRustF64 (serde_json / ryu layout)", () => {
  it.each([
    [2, "2.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [1.5, "1.5"],
    [2.0185185185185186, "2.0185185185185186"],
    [0.001234, "0.001234"],
    [0.00001, "0.00001"],
    [0.000001, "1e-6"],
    [1.5e-7, "1.5e-7"],
    [123456789, "123456789.0"],
    [1e15, "1000000000000000.0"],
    [1e16, "1e16"],
    [1.25e20, "1.25e20"],
    [-3.75, "-3.75"],
    [0.1 + 0.2, "0.30000000000000004"],
    [NaN, "null"],
    [Infinity, "null"],
  ])("formats %s as %s", (value, text) => {
    expect(formatRustF64(value)).toBe(text);
  });
});

describe("formatQuantEvent", () => {
  const event: QuantEvent = {
    input_path: "ctx.kv",
    output_path: "ctx.q8.kv",
    model: "Qwen/Qwen3-0.6B",
    target_dtype: "F16",
    storage_dtype: "U8",
    num_tokens: 5,
    num_layers: 28,
    original_nbytes: 577552,
    quantized_nbytes: 294104,
    compression_ratio: 2,
    max_quant_error: 0.0078125,
    verify_enabled: true,
    verification_result: "Mismatch",
    mismatch_indices: [3, 17],
    timestamp: "2026-05-01T12:00:00.000+00:00",
  };

  it("writes kvcdn-cli's field order, 2-space indent, floats with a fraction, no trailing newline", () => {
    expect(formatQuantEvent(event)).toBe(`{
  "input_path": "ctx.kv",
  "output_path": "ctx.q8.kv",
  "model": "Qwen/Qwen3-0.6B",
  "target_dtype": "F16",
  "storage_dtype": "U8",
  "num_tokens": 5,
  "num_layers": 28,
  "original_nbytes": 577552,
  "quantized_nbytes": 294104,
  "compression_ratio": 2.0,
  "max_quant_error": 0.0078125,
  "verify_enabled": true,
  "verification_result": "Mismatch",
  "mismatch_indices": [
    3,
    17
  ],
  "timestamp": "2026-05-01T12:00:00.000+00:00"
}`);
  });

  it("is JSON that round-trips every field, with [] for no mismatches", () => {
    const text = formatQuantEvent({ ...event, mismatch_indices: [], verification_result: "Skipped" });
    expect(text).toContain('"mismatch_indices": [],');
    expect(JSON.parse(text)).toEqual({ ...event, mismatch_indices: [], verification_result: "Skipped" });
  });

  it("timestamps in RFC 3339 with an explicit UTC offset", () => {
    expect(rfc3339(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe("2026-01-02T03:04:05.006+00:00");
  });
});
