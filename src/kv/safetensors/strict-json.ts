import { KvFormatError } from "../../errors/kv-format-error.js";

/** A JSON number that is not a non-negative-or-negative safe integer literal (has a fraction or exponent, or is too big). */
export class JsonFloat {
  constructor(
    /** The literal as written. */
    readonly raw: string,
  ) {}
  /** Its value as a double. */
  get value(): number {
    return Number(this.raw);
  }
}

/** A parsed JSON value: objects become Maps (so duplicate and `__proto__` keys are handled exactly). */
export type JsonValue = null | boolean | number | string | JsonFloat | JsonValue[] | Map<string, JsonValue>;

const MAX_DEPTH = 64;
/** Matches a UTF-16 surrogate that is not part of a pair. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parse RFC 8259 JSON strictly: no trailing commas, comments, NaN or leading zeros; integer literals that fit in a
 * double exactly become numbers, every other number a {@link JsonFloat}; duplicate object keys are an error (serde
 * rejects duplicate struct fields, and for a safetensors header a duplicate would hide a tensor).
 * Trailing whitespace is allowed (safetensors pads its header with spaces). Nesting deeper than 64 is rejected so a
 * hostile header cannot exhaust the stack.
 */
export function parseStrictJson(text: string, what = "header"): JsonValue {
  let pos = 0;
  const len = text.length;

  const fail = (message: string): never => {
    throw new KvFormatError(`${what} is not valid JSON: ${message} at character ${pos}`, { code: "invalid_json" });
  };

  const skipWs = (): void => {
    while (pos < len) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    // pos is at the opening quote
    pos++;
    let out = "";
    let runStart = pos;
    let escapedUnicode = false;
    while (true) {
      if (pos >= len) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(runStart, pos);
        pos++;
        // serde_json rejects escapes that leave a lone surrogate; so do we (they cannot be encoded as UTF-8).
        if (escapedUnicode && LONE_SURROGATE.test(out)) fail("lone surrogate in string");
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(runStart, pos);
      pos++;
      const e = text.charCodeAt(pos);
      pos++;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += "\\"; break;
        case 0x2f: out += "/"; break;
        case 0x62: out += "\b"; break;
        case 0x66: out += "\f"; break;
        case 0x6e: out += "\n"; break;
        case 0x72: out += "\r"; break;
        case 0x74: out += "\t"; break;
        case 0x75: {
          const hex = text.slice(pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          escapedUnicode = true;
          pos += 4;
          break;
        }
        default:
          pos--;
          fail("bad escape");
      }
      runStart = pos;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  const parseNumber = (): number | JsonFloat => {
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) return fail("bad number");
    const raw = m[0];
    pos += raw.length;
    if (m[1] === undefined && m[2] === undefined && raw !== "-0") {
      const n = Number(raw);
      if (Number.isSafeInteger(n)) return n;
    }
    return new JsonFloat(raw);
  };

  const expectWord = (word: string): void => {
    if (text.startsWith(word, pos)) pos += word.length;
    else fail("unexpected token");
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail("nesting too deep");
    skipWs();
    if (pos >= len) fail("unexpected end");
    const c = text.charCodeAt(pos);
    if (c === 0x7b) {
      pos++;
      const obj = new Map<string, JsonValue>();
      skipWs();
      if (text.charCodeAt(pos) === 0x7d) {
        pos++;
        return obj;
      }
      while (true) {
        skipWs();
        if (text.charCodeAt(pos) !== 0x22) fail("expected a string key");
        const key = parseString();
        skipWs();
        if (text.charCodeAt(pos) !== 0x3a) fail("expected ':'");
        pos++;
        const value = parseValue(depth + 1);
        if (obj.has(key)) {
          throw new KvFormatError(
            depth === 0 && what === "header" ? `duplicate tensor name ${JSON.stringify(key)}` : `${what} has a duplicate key ${JSON.stringify(key)}`,
            { code: depth === 0 && what === "header" ? "duplicate_tensor" : "invalid_json" },
          );
        }
        obj.set(key, value);
        skipWs();
        const d = text.charCodeAt(pos);
        pos++;
        if (d === 0x2c) continue;
        if (d === 0x7d) return obj;
        pos--;
        fail("expected ',' or '}'");
      }
    }
    if (c === 0x5b) {
      pos++;
      const arr: JsonValue[] = [];
      skipWs();
      if (text.charCodeAt(pos) === 0x5d) {
        pos++;
        return arr;
      }
      while (true) {
        arr.push(parseValue(depth + 1));
        skipWs();
        const d = text.charCodeAt(pos);
        pos++;
        if (d === 0x2c) continue;
        if (d === 0x5d) return arr;
        pos--;
        fail("expected ',' or ']'");
      }
    }
    if (c === 0x22) return parseString();
    if (c === 0x74) {
      expectWord("true");
      return true;
    }
    if (c === 0x66) {
      expectWord("false");
      return false;
    }
    if (c === 0x6e) {
      expectWord("null");
      return null;
    }
    return parseNumber();
  };

  const value = parseValue(0);
  skipWs();
  if (pos !== len) fail("trailing characters");
  return value;
}

/** Convert a parsed value to plain JavaScript (objects keep every key, including `__proto__`, as own properties). */
export function jsonToPlain(value: JsonValue): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) Object.defineProperty(out, k, { value: jsonToPlain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (Array.isArray(value)) return value.map(jsonToPlain);
  if (value instanceof JsonFloat) return value.value;
  return value;
}
