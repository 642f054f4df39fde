import { InvalidArgumentError } from "commander";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration flag in milliseconds: a number and one unit, `s`, `m`, `h`, `d` or `w`. A commander argument parser: bad
 * input is a usage error.
 * @example parseDuration("30d") // → 2_592_000_000
 */
export function parseDuration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(value);
  if (!m) throw new InvalidArgumentError("give a duration such as 12h, 30d or 2w");
  return Math.floor(Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!);
}
