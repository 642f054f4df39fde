/** Internal: the few protobuf encodings kvcdn writes when it rewrites a graph (see new-positions-graph.ts). */

/** An unsigned varint (values up to 2^53). */
export function varintBytes(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** The tag and length of a length-delimited field whose `length` bytes of value follow (written separately). */
export function lengthDelimitedHeader(field: number, length: number): Buffer {
  return Buffer.concat([varintBytes(field * 8 + 2), varintBytes(length)]);
}

/** A length-delimited field: a string (UTF-8), bytes, or an embedded message already encoded. */
export function lengthDelimited(field: number, value: Buffer | string): Buffer {
  const body = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([lengthDelimitedHeader(field, body.length), body]);
}

/** A varint field (wire type 0). */
export function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varintBytes(field * 8), varintBytes(value)]);
}
