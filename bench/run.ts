/**
 * The benchmark runner: `npm run bench` (full), `npm run bench -- --quick` (CI-sized), `--smoke` (seconds, for the
 * test suite). Runs each measurement (bench/<id>.ts), then writes bench/results.json, BENCHMARKS.md and
 * bench/ttft-chart.svg, after every section (an interrupted run keeps what it measured); a full run also rewrites the
 * README's table between its `<!-- bench:summary:start/end -->` markers.
 *
 * Options:
 *   --quick | --smoke        smaller sizes and fewer repetitions (every section says what it left out)
 *   --only a,b               run only these sections; the others are kept from the existing results.json
 *   --out-dir DIR            write results.json, BENCHMARKS.md and ttft-chart.svg into DIR instead
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
}

/** Parse the runner's arguments; unknown ones are an error (exit 2). */
export function parseArgs(argv: string[]): RunOptions {
  const opts: RunOptions = { mode: "full", only: undefined, outDir: undefined, list: false, render: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") opts.mode = "quick";
    else if (a === "--smoke") opts.mode = "smoke";
    else if (a === "--list") opts.list = true;
    else if (a === "--render") opts.render = true;
    else if (a === "--only" || a === "--out-dir") {
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

/** The chart of the resume section: TTFT (warm cached and full prefill) against context length, per shape. */
export function ttftChart(sections: SectionResult[]): string | undefined {
  const section = sections.find((s) => s.id === "resume");
  const summaries = (section?.data["summaries"] as LengthSummary[] | undefined) ?? [];
  if (summaries.length === 0) return undefined;
  const palette: Record<string, [string, string]> = { "qwen3-0.6b": ["#c0392b", "#2471a3"], tiny: ["#e59866", "#7fb3d5"] };
  const series: ChartSeries[] = [];
  for (const shape of [...new Set(summaries.map((m) => m.shape))].sort((a) => (a === "qwen3-0.6b" ? -1 : 1))) {
    const rows = summaries.filter((m) => m.shape === shape).sort((a, b) => a.tokens - b.tokens);
    const [prefillColor, cachedColor] = palette[shape] ?? ["#555", "#999"];
    series.push({ label: `${shape}: full prefill`, color: prefillColor, points: rows.map((m) => ({ x: m.tokens, y: m.prefillS })) });
    series.push({ label: `${shape}: from .kv (warm)`, color: cachedColor, dashed: true, points: rows.map((m) => ({ x: m.tokens, y: m.cachedS })) });
  }
  return renderLogLogChart({
    title: "Time to first token vs context length",
    subtitle: "onnxruntime-node on CPU, fixture models with random weights; log–log axes",
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
  const outDir = opts.outDir;
  const paths = {
    results: outDir ? join(outDir, "results.json") : join(REPO_ROOT, "bench", "results.json"),
    markdown: outDir ? join(outDir, "BENCHMARKS.md") : join(REPO_ROOT, "BENCHMARKS.md"),
    chart: outDir ? join(outDir, "ttft-chart.svg") : join(REPO_ROOT, "bench", "ttft-chart.svg"),
  };
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
        const result = await section.run({ mode: opts.mode, tmpDir: tmp, log });
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
