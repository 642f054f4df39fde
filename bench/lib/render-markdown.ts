import type { MachineInfo } from "./machine-info.js";
import { fmt } from "./stats.js";
import type { BenchMode, SectionResult, TableRow, TargetCheck } from "./types.js";

/** Everything one run wrote to results.json. */
export interface BenchResults {
  /** Bumped when the shape of this file changes. */
  schema: 1;
  generatedAt: string;
  command: string;
  mode: BenchMode;
  durationS: number;
  machine: MachineInfo;
  /** 1, 5 and 15 minute load averages when the run ended. */
  loadAverageAtEnd: [number, number, number];
  sections: SectionResult[];
  /** Sections that threw, with the error message. */
  failures: Array<{ id: string; error: string }>;
}

function esc(cell: string): string {
  return cell.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A GitHub-flavoured Markdown table from rows with the same keys (missing cells stay empty). */
export function markdownTable(rows: TableRow[]): string {
  if (rows.length === 0) return "_(no rows)_\n";
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lines = [`| ${keys.map(esc).join(" | ")} |`, `|${keys.map(() => "---").join("|")}|`];
  for (const r of rows) lines.push(`| ${keys.map((k) => esc(r[k] ?? "")).join(" | ")} |`);
  return `${lines.join("\n")}\n`;
}

const GiB = 2 ** 30;

function machineTable(m: MachineInfo, end: [number, number, number]): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
  return markdownTable([
    {
      CPU: `${m.cpuModel} (${m.cpuFlags.join(", ") || "flags unknown"})`,
      cores: String(m.cores),
      RAM: `${(m.ramBytes / GiB).toFixed(1)} GiB (${(m.freeRamBytesAtStart / GiB).toFixed(1)} free at start)`,
      Node: `${m.node} (${m.platform}, Linux ${m.kernel})`,
      "onnxruntime-node": m.onnxruntimeNode ?? "—",
      tools: [m.openssl?.split(" (")[0], m.curl?.split(" ").slice(0, 2).join(" ")].filter(Boolean).join("; ") || "—",
      "load average 1/5/15 min (start → end)": `${load(m.loadAverageAtStart)} → ${load(end)}`,
    },
  ]);
}

function statusCell(t: TargetCheck): string {
  const note = t.note ? ` (${t.note})` : "";
  if (t.status === "met") return `✅ met${note}`;
  if (t.status === "missed") return `❌ missed${note}`;
  return `— not measured${note}`;
}

function targetValue(t: TargetCheck): string {
  if (t.value === null) return "—";
  if (t.target === "all") return t.value === 1 ? "all" : "not all";
  return fmt(t.value, Math.abs(t.value) >= 100 ? 0 : Math.abs(t.value) >= 10 ? 1 : 2);
}

/**
 * BENCHMARKS.md from a run's results: machine, target summary, one section per measurement (tables + notes), the
 * chart, then the hand-written analysis (bench/analysis.md), which is the only part not regenerated from numbers.
 */
export function renderBenchmarks(params: { results: BenchResults; chartPath: string | undefined; analysis: string | undefined }): string {
  const { results: r } = params;
  const out: string[] = [];
  out.push("# Benchmarks\n");
  const measuring = r.sections.reduce((a, s) => a + s.durationS, 0);
  out.push(
    `Written by \`${r.command}\` on ${r.generatedAt} (${r.mode} mode; the sections took ${(measuring / 60).toFixed(1)} min in all, ` +
      "and each says when it was measured). Do not edit the numbers by hand: `npm run bench` rewrites this file, " +
      "`bench/results.json` and the chart. Every comparison runs our code and its baseline side by side in the same run, " +
      "alternating, and reports medians.\n",
  );
  if (r.machine.cores <= 2 || r.machine.loadAverageAtStart[0] > r.machine.cores * 0.5) {
    out.push(
      `> **Noise:** ${r.machine.cores} cores with a load average of ${r.machine.loadAverageAtStart[0].toFixed(2)} at the start: ` +
        "other work was competing for the CPU, so absolute times are pessimistic and ratios carry a few percent of noise. " +
        "Rerun on a quiet machine before quoting a number.\n",
    );
  }
  out.push("## Machine\n");
  out.push(machineTable(r.machine, r.loadAverageAtEnd));
  out.push("\n## Targets\n");
  const targets = r.sections.flatMap((s) => s.targets.map((t) => ({ section: s.title, ...t })));
  out.push(
    markdownTable(
      targets.map((t) => ({ section: t.section, measurement: t.name, value: targetValue(t), target: t.target, status: statusCell(t) })),
    ),
  );
  if (r.failures.length) {
    out.push("\n**Sections that failed:**\n");
    for (const f of r.failures) out.push(`- \`${f.id}\`: ${f.error}`);
    out.push("");
  }
  r.sections.forEach((s, i) => {
    out.push(`\n## ${i + 1}. ${s.title}\n`);
    const when = s.measuredAt ? `measured ${s.measuredAt} at load ${fmt(s.loadAverageAtStart, 2)}, ` : "";
    out.push(`_${when}${(s.durationS / 60).toFixed(1)} min; \`npm run bench --${r.mode === "full" ? "" : ` --${r.mode}`} --only ${s.id}\` reruns only this section._\n`);
    if (s.id === "resume" && params.chartPath) out.push(`![Time to first token against context length](${params.chartPath})\n`);
    for (const t of s.tables) {
      out.push(`**${t.caption}**\n`);
      out.push(markdownTable(t.rows));
    }
    if (s.notes.length) {
      out.push("");
      for (const n of s.notes) out.push(`- ${n}`);
      out.push("");
    }
  });
  if (params.analysis) {
    out.push("\n");
    out.push(params.analysis.trim());
    out.push("");
  }
  out.push("\n## Reproduce\n");
  out.push(
    "```sh\nnpm run bench            # full run: writes bench/results.json, BENCHMARKS.md, bench/ttft-chart.svg\n" +
      "npm run bench -- --quick # CI-sized (smaller files, fewer lengths; says so in every section)\n" +
      "npm run bench -- --only upload,download  # rerun some sections; the others are kept from results.json\n" +
      "npm run bench -- --render  # no measuring: rewrite this file, the chart and the README table from results.json\n" +
      "npm run bench -- --smoke --out-dir /tmp/b  # seconds; what the test suite runs so the scripts do not rot\n```\n",
  );
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n")}\n`;
}

/** Start and end markers of the README's generated benchmark table. */
export const README_MARKERS = ["<!-- bench:summary:start -->", "<!-- bench:summary:end -->"] as const;

function sectionData(r: BenchResults, id: string): Record<string, unknown> | undefined {
  return r.sections.find((s) => s.id === id)?.data;
}

/**
 * The README's short table: one headline row per measurement, from the same results as BENCHMARKS.md.
 * Rows whose section did not run are left out.
 */
export function renderReadmeSummary(r: BenchResults): string {
  const rows: TableRow[] = [];
  const s = (v: unknown, d = 2) => fmt(typeof v === "number" ? v : Number.NaN, d);
  const stat = (v: unknown) => (v as { median?: number } | undefined)?.median;
  const up = sectionData(r, "upload");
  if (up) {
    rows.push({
      measurement: `upload ${fmtSize(up["sizeBytes"])} (SDK vs \`openssl\` + \`curl -T\`)`,
      kvcdn: `${s(stat(up["ours"]))} s`,
      baseline: `${s(stat(up["baseline"]))} s`,
      result: `${s(up["ratio"])}× the baseline's time (target ≤ 1.10); ${s(up["ratioEndToEnd"])}× when the baseline also makes the upload-url and confirm calls`,
    });
  }
  const down = sectionData(r, "download");
  if (down) {
    rows.push({
      measurement: `download + verify ${fmtSize(down["sizeBytes"])} (vs \`curl -o\` + \`openssl\`)`,
      kvcdn: `${s(stat(down["ours"]))} s`,
      baseline: `${s(stat(down["baseline"]))} s`,
      result: `${s(down["ratio"])}× (target ≤ 0.8); ${s(stat(down["ours"])! / stat(down["baselineDurable"])!)}× against curl + \`sync\` (both durable)`,
    });
  }
  const format = sectionData(r, "format");
  if (format) {
    const read = format["read"] as Record<string, { median: number }>;
    rows.push({
      measurement: `read a ${format["tokens"]}-token Qwen3-0.6B F16 \`.kv\` (vs \`fs.readFile\`)`,
      kvcdn: `${s(read["readKv"]!.median * 1000, 0)} ms`,
      baseline: `${s(read["readFile"]!.median * 1000, 0)} ms`,
      result: `${s(format["readRatio"])}× (target ≤ 1.2)`,
    });
    const header = format["header"] as Record<string, { median: number }>;
    rows.push({ measurement: "header-only inspect of a 4 GiB `.kv`", kvcdn: `${s(header["readKvMetadata"]!.median, 2)} ms`, baseline: "—", result: "target < 5 ms" });
  }
  const resume = sectionData(r, "resume");
  if (resume) {
    const all = resume["summaries"] as Array<{ label?: string; tokens: number; prefillS: number; fileWarmS?: number; preparedS?: number; speedupFile?: number; speedupPrepared?: number }>;
    const headline = all[0]?.label;
    const summaries = all.filter((m) => m.label !== undefined && m.label === headline && m.fileWarmS !== undefined);
    for (const m of summaries.filter((x) => x.tokens === 1024 || x.tokens === 4096 || x.tokens === Math.max(...summaries.map((y) => y.tokens)))) {
      rows.push({
        measurement: `time to first token, ${headline} fixture, ${m.tokens} tokens (from \`.kv\` / prepared vs full prefill)`,
        kvcdn: `${s(m.fileWarmS, 2)} s / ${s(m.preparedS, 2)} s`,
        baseline: `${s(m.prefillS, 1)} s`,
        result: `${s(m.speedupFile, 1)}× / ${s(m.speedupPrepared, 1)}× faster${m.tokens === 4096 ? " (targets ≥ 40× / ≥ 50×)" : ""}`,
      });
    }
  }
  const load = sectionData(r, "store-load");
  if (load) {
    rows.push({
      measurement: `${load["files"]} concurrent 8 MiB uploads to the local store (vs one stream)`,
      kvcdn: `${s(stat(load["concurrentMiBps"]), 0)} MiB/s`,
      baseline: `${s(stat(load["singleMiBps"]), 0)} MiB/s`,
      result: `${s(load["ratio"])}×, all confirmed: ${(load["failures"] as unknown[]).length === 0 ? "yes" : "no"}`,
    });
  }
  const m = r.machine;
  return (
    `${markdownTable(rows)}\n` +
    `From bench/results.json (${r.mode} mode, ${r.generatedAt.slice(0, 10)}) on ${m.cpuModel} (${m.cores} cores, ${(m.ramBytes / GiB).toFixed(0)} GiB, Node ${m.node}), ` +
    `a busy shared machine: treat the times as pessimistic. Qwen3-0.6B-shaped fixtures with random weights (q4f16 builder layout and fp32 plain graph), onnxruntime-node on CPU.\n`
  );
}

function fmtSize(bytes: unknown): string {
  const b = typeof bytes === "number" ? bytes : 0;
  return b >= 1000 * 2 ** 20 ? `${(b / GiB).toFixed(0)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

/** Replace the text between the README markers (markers kept); the README unchanged when they are missing. */
export function replaceBetweenMarkers(readme: string, body: string): string | undefined {
  const [start, end] = README_MARKERS;
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) return undefined;
  return `${readme.slice(0, i + start.length)}\n${body}${readme.slice(j)}`;
}
