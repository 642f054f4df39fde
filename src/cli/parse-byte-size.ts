import { InvalidArgumentError } from "commander";

const FACTORS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * A size flag in bytes: a number with an optional unit, decimal (`KB`, `MB`, `GB`, `TB`) or binary (`KiB` … `TiB`),
 * case-insensitive. A commander argument parser: bad input is a usage error.
 * @example parseByteSize("10GB") // → 10_000_000_000
 */
export function parseByteSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const factor = m ? FACTORS[m[2]!.toLowerCase()] : undefined;
  if (!m || factor === undefined) throw new InvalidArgumentError("give a size such as 500MB, 10GB or 2GiB");
  return Math.floor(Number(m[1]) * factor);
}
