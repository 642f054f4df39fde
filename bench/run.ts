/**
 * The benchmark runner: `npm run bench` (full), `npm run bench -- --quick` (CI-sized), `--smoke` (seconds, for the
 * test suite). Runs each measurement (bench/<id>.ts), then writes bench/results.json, BENCHMARKS.md and
 * bench/ttft-chart.svg, after every section (an interrupted run keeps what it measured); a full run also rewrites the
 * README's table between its `<!-- bench:summary:start/end -->` markers. `--quick` and `--smoke` write to the
 * git-ignored bench/out/<mode>/ instead (see {@link outputPaths}).
 *
 * Options:
 *   --quick | --smoke        smaller sizes and fewer repetitions (every section says what it left out)
 *   --only a,b               run only these sections; the others are kept from the existing results.json
 *   --out-dir DIR            write results.json, BENCHMARKS.md and ttft-chart.svg into DIR instead
 *   --deadline HH:MM|ISO     resume starts no context length that would end after this time (HH:MM is UTC today)
 *   --render                 measure nothing: rewrite BENCHMARKS.md, the chart and the README table from results.json
 *                            (after editing bench/analysis.md)
 *   --list                   print the section ids and exit
 */
import { mkdtemp, mkdir, readFile, rm, writeFile, rename } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bench as cacheDir } from "./cache-dir.js";
import { bench as download } from "./download.js";
import { bench as format } from "./format.js";
import { machineInfo } from "./lib/machine-info.js";
import { renderBenchmarks, renderReadmeSummary, replaceBetweenMarkers, type BenchResults } from "./lib/render-markdown.js";
import { removeBundledWorkers, REPO_ROOT } from "./lib/run-worker.js";
import { renderLogLogChart, type ChartSeries } from "./lib/svg-chart.js";
import type { BenchMode, BenchModule, SectionResult } from "./lib/types.js";
import { bench as resume, type LengthSummary } from "./resume.js";
import { bench as storeLoad } from "./store-load.js";
import { bench as upload } from "./upload.js";

/** Every section, in the order they run (cheap ones first, the long resume run last). */
export const SECTIONS: BenchModule[] = [upload, download, format, storeLoad, cacheDir, resume];

/** Parsed command line. */
export interface RunOptions {
  mode: BenchMode;
  only: string[] | undefined;
  outDir: string | undefined;
  list: boolean;
  render: boolean;
  /** `--deadline`, ms since the epoch. */
  deadlineMs: number | undefined;
}

/** Parse the runner's arguments; unknown ones are an error (exit 2). */
export function parseArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { mode: "full", only: undefined, outDir: undefined, list: false, render: false, deadlineMs: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") opts.mode = "quick";
    else if (a === "--smoke") opts.mode = "smoke";
    else if (a === "--list") opts.list = true;
    else if (a === "--render") opts.render = true;
    else if (a === "--deadline") {
      const v = argv[++i];
      if (v === undefined) throw new UsageError("--deadline needs a time (HH:MM UTC or ISO 8601)");
      opts.deadlineMs = parseDeadline(v);
    } else if (a === "--only" || a === "--out-dir") {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === "--only") opts.only = v.split(",").map((s) => s.trim()).filter(Boolean);
      else opts.outDir = v;
    } else throw new UsageError(`unknown option ${a}`);
  }
  for (const id of opts.only ?? []) {
    if (!SECTIONS.some((s) => s.id === id)) throw new UsageError(`unknown section ${id}; use ${SECTIONS.map((s) => s.id).join(", ")}`);
  }
  return opts;
}

class UsageError extends Error {}

/** `HH:MM` (UTC, today) or an ISO 8601 time, as ms since the epoch. */
export function parseDeadline(value: string, today: Date = new Date()): number {
  const hm = /^(\d{1,2}):(\d{2})$/.exec(value);
  const ms = hm ? Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), Number(hm[1]), Number(hm[2])) : Date.parse(value);
  if (!Number.isFinite(ms) || (hm && (Number(hm[1]) > 23 || Number(hm[2]) > 59))) throw new UsageError(`--deadline ${value}: use HH:MM (UTC) or an ISO 8601 time`);
  return ms;
}

/**
 * Where a run writes results.json, BENCHMARKS.md and the chart: `--out-dir` if given; else a full run rewrites the
 * committed files (bench/results.json, BENCHMARKS.md, bench/ttft-chart.svg), and `--quick` / `--smoke` runs write to
 * the git-ignored bench/out/<mode>/ so their numbers never replace the committed ones.
 */
export function outputPaths(opts: Pick<RunOptions, "mode" | "outDir">): { dir: string | undefined; results: string; markdown: string; chart: string } {
  const dir = opts.outDir ?? (opts.mode === "full" ? undefined : join(REPO_ROOT, "bench", "out", opts.mode));
  return dir
    ? { dir, results: join(dir, "results.json"), markdown: join(dir, "BENCHMARKS.md"), chart: join(dir, "ttft-chart.svg") }
    : {
        dir,
        results: join(REPO_ROOT, "bench", "results.json"),
        markdown: join(REPO_ROOT, "BENCHMARKS.md"),
        chart: join(REPO_ROOT, "bench", "ttft-chart.svg"),
      };
}

/** The chart of the resume section: TTFT against context length per model (prefill, from a file, prepared, floor). */
export function ttftChart(sections: SectionResult[]): string | undefined {
  const section = sections.find((s) => s.id === "resume");
  const summaries = (section?.data["summaries"] as LengthSummary[] | undefined) ?? [];
  if (summaries.length === 0) return undefined;
  const labels = [...new Set(summaries.map((m) => m.label))];
  const palettes = [
    ["#c0392b", "#2471a3", "#229954", "#7f8c8d"],
    ["#e59866", "#7fb3d5", "#82e0aa", "#bfc9ca"],
  ];
  const series: ChartSeries[] = [];
  labels.forEach((label, i) => {
    const rows = summaries.filter((m) => m.label === label).sort((a, b) => a.tokens - b.tokens);
    const [prefill, file, prepared, bare] = palettes[Math.min(i, palettes.length - 1)]!;
    series.push({ label: `${label}: full prefill`, color: prefill!, points: rows.map((m) => ({ x: m.tokens, y: m.prefillS })) });
    series.push({ label: `${label}: from .kv (warm)`, color: file!, dashed: true, points: rows.map((m) => ({ x: m.tokens, y: m.fileWarmS })) });
    if (i === 0) {
      series.push({ label: `${label}: prepared handle`, color: prepared!, dashed: true, points: rows.map((m) => ({ x: m.tokens, y: m.preparedS })) });
      series.push({ label: `${label}: bare onnxruntime run (floor)`, color: bare!, dashed: true, points: rows.map((m) => ({ x: m.tokens, y: m.bareS })) });
    }
  });
  return renderLogLogChart({
    title: "Time to first token vs context length",
    subtitle: "onnxruntime-node on CPU, Qwen3-0.6B-shaped fixtures with random weights; log–log axes",
    xLabel: "context length (tokens)",
    yLabel: "time to first token",
    series,
  });
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/** Rewrite the README's table between its bench markers, leaving every other line as it is. */
async function updateReadme(results: BenchResults): Promise<void> {
  const path = join(REPO_ROOT, "README.md");
  const readme = await readFile(path, "utf8").catch(() => undefined);
  const next = readme === undefined ? undefined : replaceBetweenMarkers(readme, renderReadmeSummary(results));
  if (next !== undefined && next !== readme) await writeAtomic(path, next);
}

async function readPrevious(path: string, mode: BenchMode): Promise<BenchResults | undefined> {
  try {
    const prev = JSON.parse(await readFile(path, "utf8")) as BenchResults;
    return prev.schema === 1 && prev.mode === mode ? prev : undefined;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  if (opts.list) {
    for (const s of SECTIONS) console.log(`${s.id}\t${s.title}`);
    return;
  }
  const machine = machineInfo();
  const started = performance.now();
  const paths = outputPaths(opts);
  const outDir = paths.dir;
  const flags = [...(opts.mode === "full" ? [] : [`--${opts.mode}`]), ...(opts.only ? ["--only", opts.only.join(",")] : [])];
  const command = `npm run bench${flags.length ? ` -- ${flags.join(" ")}` : ""}`;
  const log = (line: string): void => void process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  log(`${opts.mode} run on ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(" ")}`);

  const previous = opts.only ? await readPrevious(paths.results, opts.mode) : undefined;
  const selected = SECTIONS.filter((s) => !opts.only || opts.only.includes(s.id));
  const done = new Map<string, SectionResult>((previous?.sections ?? []).map((s) => [s.id, s]));
  const failures: BenchResults["failures"] = [];
  const analysis = await readFile(join(REPO_ROOT, "bench", "analysis.md"), "utf8").catch(() => undefined);

  const render = async (results: BenchResults): Promise<void> => {
    const chart = ttftChart(results.sections);
    if (chart) await writeAtomic(paths.chart, chart);
    const chartLink = chart ? relative(dirname(paths.markdown), paths.chart).split("\\").join("/") : undefined;
    await writeAtomic(paths.markdown, renderBenchmarks({ results, chartPath: chartLink, analysis: outDir ? undefined : analysis }));
    // The README's short table follows full runs only (quick numbers are not the ones to quote).
    if (!outDir && results.mode === "full") await updateReadme(results);
  };
  if (opts.render) {
    const saved = JSON.parse(await readFile(paths.results, "utf8")) as BenchResults;
    await render(saved);
    log(`rendered ${paths.markdown} and ${paths.chart} from ${paths.results}`);
    return;
  }

  const write = async (): Promise<void> => {
    const sections = SECTIONS.map((s) => done.get(s.id)).filter((s): s is SectionResult => s !== undefined);
    const load = loadavg();
    const results: BenchResults = {
      schema: 1,
      generatedAt: new Date().toISOString(),
      command,
      mode: opts.mode,
      durationS: (performance.now() - started) / 1000,
      machine,
      loadAverageAtEnd: [load[0]!, load[1]!, load[2]!],
      sections,
      failures,
    };
    await writeAtomic(paths.results, `${JSON.stringify(results, null, 2)}\n`);
    await render(results);
  };

  try {
    for (const section of selected) {
      const tmp = await mkdtemp(join(tmpdir(), `kvcdn-bench-${section.id}-`));
      const measuredAt = new Date().toISOString();
      const load = loadavg()[0]!;
      log(`== ${section.title}`);
      try {
        const result = await section.run({ mode: opts.mode, tmpDir: tmp, log, ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}) });
        done.set(section.id, { ...result, measuredAt, loadAverageAtStart: load });
        for (const t of result.targets) log(`   ${t.status.padEnd(12)} ${t.name}: ${t.value === null ? "—" : t.value.toFixed(3)} (target ${t.target})`);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        failures.push({ id: section.id, error: error.slice(0, 2000) });
        done.delete(section.id);
        log(`!! ${section.id} failed: ${error}`);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      await write();
    }
  } finally {
    removeBundledWorkers();
  }
  log(`done in ${((performance.now() - started) / 60_000).toFixed(1)} min: ${paths.results}, ${paths.markdown}, ${paths.chart}`);
  if (failures.length) process.exitCode = 1;
}

// Run only as a script (the smoke test imports this module to type-check and parse arguments).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  });
}
