import type { Stat, TargetCheck } from "./types.js";

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The `p`-th percentile (0–100, nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Summarize samples. */
export function stat(samples: readonly number[], unit: string): Stat {
  return {
    median: median(samples),
    min: samples.length ? Math.min(...samples) : Number.NaN,
    max: samples.length ? Math.max(...samples) : Number.NaN,
    n: samples.length,
    samples: [...samples],
    unit,
  };
}

/** Seconds since `t0` (a `performance.now()` value). */
export function secondsSince(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** Time one async call, in seconds. */
export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: secondsSince(t0), value };
}

/**
 * Run `ours` and `baseline` alternately (A B A B …, starting with the baseline every other round) so slow drifts in
 * machine load hit both alike; returns both sample lists in seconds.
 */
export async function interleave(params: {
  reps: number;
  ours: (rep: number) => Promise<number>;
  baseline: (rep: number) => Promise<number>;
  log?: (line: string) => void;
  label?: string;
}): Promise<{ ours: number[]; baseline: number[] }> {
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let rep = 0; rep < params.reps; rep++) {
    const order = rep % 2 === 0 ? (["ours", "baseline"] as const) : (["baseline", "ours"] as const);
    for (const which of order) {
      const s = which === "ours" ? await params.ours(rep) : await params.baseline(rep);
      (which === "ours" ? ours : baseline).push(s);
      params.log?.(`${params.label ?? ""} rep ${rep + 1}/${params.reps} ${which}: ${s.toFixed(3)} s`);
    }
  }
  return { ours, baseline };
}

/** Check a value against `<= x`, `< x` or `>= x`. */
export function checkTarget(name: string, value: number | null | undefined, op: "<=" | "<" | ">=", limit: number, note?: string): TargetCheck {
  const target = `${op} ${limit}`;
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { name, value: null, target, status: "not measured", ...(note ? { note } : {}) };
  }
  const met = op === "<=" ? value <= limit : op === "<" ? value < limit : value >= limit;
  return { name, value, target, status: met ? "met" : "missed", ...(note ? { note } : {}) };
}

/** A number with `digits` significant decimals for tables (`—` for missing values). */
export function fmt(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toFixed(digits);
}

/** Bytes as MiB/GiB text. */
export function fmtBytes(bytes: number): string {
  // 1000 MiB and up in GiB: a "1 GiB" Qwen3 cache is a whole number of tokens, a few KiB under 2^30.
  if (bytes >= 1000 * 2 ** 20) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** MiB/s of `bytes` moved in `seconds`. */
export function mibPerSecond(bytes: number, seconds: number): number {
  return bytes / 2 ** 20 / seconds;
}

/** Elements per second, in millions. */
export function melemPerSecond(elements: number, seconds: number): number {
  return elements / 1e6 / seconds;
}
