/**
 * Every dtype safetensors 0.7 knows, in its enum order (`safetensors/src/tensor.rs` `Dtype`). The writer sorts
 * tensors by this order, descending, so the order is part of the byte format.
 */
export const SAFETENSORS_DTYPES = [
  "BOOL",
  "F4",
  "F6_E2M3",
  "F6_E3M2",
  "U8",
  "I8",
  "F8_E5M2",
  "F8_E4M3",
  "F8_E8M0",
  "I16",
  "U16",
  "F16",
  "BF16",
  "I32",
  "U32",
  "F32",
  "C64",
  "F64",
  "I64",
  "U64",
] as const;

/** A safetensors element type, spelled as in the header (`"F16"`, `"BF16"`, `"U8"`, …). */
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

const BITS: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

const RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

/** True if `value` is a dtype name safetensors knows. */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && RANK.has(value);
}

/** Size of one element in bits (4 for `F4`, 6 for `F6_*`, 16 for `F16`, …). */
export function dtypeBits(dtype: SafetensorsDtype): number {
  return BITS[dtype];
}

/** Position of `dtype` in safetensors' enum order (`BOOL` = 0 … `U64` = 19). */
export function dtypeRank(dtype: SafetensorsDtype): number {
  return RANK.get(dtype) ?? -1;
}
