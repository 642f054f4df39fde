import type { FileHandle } from "node:fs/promises";

const WINDOW_BYTES = 1 << 20;

/** One field of a protobuf message, by byte positions in the file. */
export interface RawField {
  field: number;
  /** 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. */
  wire: number;
  tagStart: number;
  valueStart: number;
  end: number;
}

/**
 * Internal: walks a protobuf file (an ONNX graph) with positioned reads through a 1 MiB window, so skipped fields —
 * tensor bytes, hundreds of MB when inline — cost nothing.
 */
export class ProtoReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** Call `visit` with every length-delimited field of the message in `[start, end)`; other wire types are skipped. */
  async fields(start: number, end: number, visit: (field: number, start: number, end: number) => Promise<void>): Promise<void> {
    await this.everyField(start, end, async (f) => {
      if (f.wire === 2) await visit(f.field, f.valueStart, f.end);
    });
  }

  /**
   * Call `visit` with every field of the message in `[start, end)`, whatever its wire type: `[tagStart, end)` is the
   * whole field as encoded, `[valueStart, end)` its value (for a length-delimited field, after the length).
   */
  async everyField(start: number, end: number, visit: (f: RawField) => Promise<void> | void): Promise<void> {
    let pos = start;
    while (pos < end) {
      const [tag, afterTag] = await this.varint(pos);
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0) throw new SyntaxError(`field number 0 at byte ${pos}`);
      let valueStart = afterTag;
      let next: number;
      if (wire === 0) next = (await this.varint(afterTag))[1];
      else if (wire === 1) next = afterTag + 8;
      else if (wire === 5) next = afterTag + 4;
      else if (wire === 2) {
        const [length, body] = await this.varint(afterTag);
        valueStart = body;
        next = body + length;
      } else throw new SyntaxError(`unsupported wire type ${wire} at byte ${pos}`);
      if (next > end) throw new SyntaxError(`field ${field} at byte ${pos} runs past its message`);
      await visit({ field, wire, tagStart: pos, valueStart, end: next });
      pos = next;
    }
    if (pos !== end) throw new SyntaxError(`message ends inside a field at byte ${end}`);
  }

  /** The unsigned varint that starts at `pos` (a wire-type-0 field's value). */
  async varintAt(pos: number): Promise<number> {
    return (await this.varint(pos))[0];
  }

  /** A copy of the bytes in `[start, end)`. */
  async copy(start: number, end: number): Promise<Buffer> {
    if (end - start > WINDOW_BYTES) {
      if (start < 0 || end > this.size) throw new SyntaxError(`read past the end of the file at byte ${start}`);
      const out = Buffer.allocUnsafe(end - start);
      const { bytesRead } = await this.handle.read(out, 0, out.length, start);
      if (bytesRead < out.length) throw new SyntaxError(`short read at byte ${start}`);
      return out;
    }
    return Buffer.from(await this.bytes(start, end - start));
  }

  async string(start: number, end: number): Promise<string> {
    return (await this.bytes(start, end - start)).toString("utf8");
  }

  private async varint(pos: number): Promise<[number, number]> {
    const bytes = await this.bytes(pos, Math.min(10, this.size - pos));
    let value = 0;
    for (let i = 0; i < bytes.length; i++) {
      value += (bytes[i]! & 0x7f) * 2 ** (7 * i);
      if ((bytes[i]! & 0x80) === 0) return [value, pos + i + 1];
    }
    throw new SyntaxError(`truncated varint at byte ${pos}`);
  }

  private async bytes(pos: number, length: number): Promise<Buffer> {
    if (pos < 0 || pos + length > this.size) throw new SyntaxError(`read past the end of the file at byte ${pos}`);
    if (pos < this.windowStart || pos + length > this.windowStart + this.window.length) {
      const size = Math.min(Math.max(length, WINDOW_BYTES), this.size - pos);
      const buffer = Buffer.alloc(size);
      const { bytesRead } = await this.handle.read(buffer, 0, size, pos);
      this.window = buffer.subarray(0, bytesRead);
      this.windowStart = pos;
      if (bytesRead < length) throw new SyntaxError(`short read at byte ${pos}`);
    }
    return this.window.subarray(pos - this.windowStart, pos - this.windowStart + length);
  }
}
