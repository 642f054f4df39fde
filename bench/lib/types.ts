/** Shared shapes of the benchmark runner: what each measurement returns and what `bench/results.json` holds. */

/** How big a run is: `full` (the numbers in BENCHMARKS.md), `quick` (CI-sized), `smoke` (seconds; for the test suite). */
export type BenchMode = "full" | "quick" | "smoke";

/** Summary of repeated timings (or any repeated measurement), in `unit`. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  /** Number of samples. */
  n: number;
  /** Every sample, in the order measured. */
  samples: number[];
  unit: string;
}

/** A target from the issue and whether this run met it. */
export interface TargetCheck {
  /** What is compared, e.g. `upload ratio (ours / openssl + curl)`. */
  name: string;
  /** The measured value. */
  value: number | null;
  /** The comparison, e.g. `<= 1.10`. */
  target: string;
  /** `met`, `missed`, or `not measured` (with the reason in `note`). */
  status: "met" | "missed" | "not measured";
  note?: string;
}

/** One row of a section's Markdown table. */
export type TableRow = Record<string, string>;

/** One measurement's outcome: tables for BENCHMARKS.md, raw data for results.json. */
export interface SectionResult {
  /** Short id: `upload`, `download`, `format`, `resume`, `store-load`. */
  id: string;
  title: string;
  /** Wall-clock seconds the section took (setup included). */
  durationS: number;
  /** When the section ran and the 1-minute load average then (set by the runner; sections merged by `--only` keep theirs). */
  measuredAt?: string;
  loadAverageAtStart?: number;
  /** Tables in order; each has a caption and rows with the same keys. */
  tables: Array<{ caption: string; rows: TableRow[] }>;
  targets: TargetCheck[];
  /** Plain statements: what was and was not measured, fallbacks, caveats. */
  notes: string[];
  /** Everything measured, for results.json. */
  data: Record<string, unknown>;
}

/** What each measurement module receives. */
export interface BenchContext {
  mode: BenchMode;
  /** A fresh temporary directory for this section (removed afterwards). */
  tmpDir: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** `--deadline`: sections that can shorten themselves (resume) start nothing that would end after it (ms since the epoch). */
  deadlineMs?: number;
}

/** A measurement module: `bench/<id>.ts` exports one of these as `bench`. */
export interface BenchModule {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<SectionResult>;
}
