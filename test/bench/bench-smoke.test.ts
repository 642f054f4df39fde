import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { median, percentile } from "../../bench/lib/stats.js";
import { renderReadmeSummary, replaceBetweenMarkers, type BenchResults } from "../../bench/lib/render-markdown.js";
import { breakEven } from "../../bench/resume.js";
import { outputPaths, parseArgs, parseDeadline, SECTIONS } from "../../bench/run.js";
import { REPO_ROOT } from "../../bench/lib/run-worker.js";

// Benchmarks, not tests: nothing here looks at a time. This file only keeps bench/ from rotting: the runner parses
// its flags, the formulas are right, and a --smoke run of every section completes and writes all three outputs.

describe("bench runner", () => {
  it("parses --quick, --smoke, --only and --out-dir, and rejects unknown flags and sections", () => {
    expect(parseArgs([])).toMatchObject({ mode: "full", only: undefined, render: false });
    expect(parseArgs(["--render"])).toMatchObject({ render: true });
    expect(parseArgs(["--quick", "--only", "upload,resume", "--out-dir", "/tmp/x"])).toMatchObject({
      mode: "quick",
      only: ["upload", "resume"],
      outDir: "/tmp/x",
    });
    expect(() => parseArgs(["--fast"])).toThrow(/unknown option/);
    expect(parseDeadline("05:45", new Date("2026-12-02T03:00:00Z"))).toBe(Date.parse("2026-12-02T05:45:00Z"));
    expect(parseArgs(["--deadline", "2026-12-02T05:45:00Z"]).deadlineMs).toBe(Date.parse("2026-12-02T05:45:00Z"));
    expect(() => parseArgs(["--deadline", "25:00"])).toThrow(/--deadline/);
    expect(() => parseArgs(["--only", "nope"])).toThrow(/unknown section/);
    expect(SECTIONS.map((s) => s.id)).toEqual(["upload", "download", "format", "store-load", "cache-dir", "resume"]);
  });

  it("rewrites the committed results only in a full run: --quick and --smoke write to the git-ignored bench/out/", () => {
    const committed = outputPaths({ mode: "full", outDir: undefined });
    expect(committed.results).toBe(join(REPO_ROOT, "bench", "results.json"));
    expect(committed.markdown).toBe(join(REPO_ROOT, "BENCHMARKS.md"));
    expect(committed.chart).toBe(join(REPO_ROOT, "bench", "ttft-chart.svg"));
    for (const mode of ["quick", "smoke"] as const) {
      const out = outputPaths({ mode, outDir: undefined });
      expect(out.dir).toBe(join(REPO_ROOT, "bench", "out", mode));
      for (const path of [out.results, out.markdown, out.chart]) expect(path.startsWith(join(REPO_ROOT, "bench", "out", mode))).toBe(true);
    }
    expect(readFileSync(join(REPO_ROOT, ".gitignore"), "utf8").split("\n")).toContain("bench/out/");
    expect(outputPaths({ mode: "full", outDir: "/tmp/x" }).results).toBe("/tmp/x/results.json");
  });

  it("computes kvcdn-cli's break-even N* = C_p / (C_p − C_l), infinite when reuse never pays", () => {
    expect(breakEven(10, 1)).toBeCloseTo(10 / 9);
    expect(breakEven(2, 1)).toBe(2);
    expect(breakEven(1, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  });

  it("rewrites only the README text between the bench markers, and leaves a README without them alone", () => {
    const readme = "# x\n## Benchmarks\n<!-- bench:summary:start -->\nold\n<!-- bench:summary:end -->\n## Limits\n";
    expect(replaceBetweenMarkers(readme, "| new |\n")).toBe(
      "# x\n## Benchmarks\n<!-- bench:summary:start -->\n| new |\n<!-- bench:summary:end -->\n## Limits\n",
    );
    expect(replaceBetweenMarkers("# no markers\n", "| new |\n")).toBeUndefined();
  });
});

describe("npm run bench -- --smoke", () => {
  let out = "";
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("runs every section and writes results.json, BENCHMARKS.md and the TTFT chart", () => {
    out = mkdtempSync(join(tmpdir(), "kvcdn-bench-smoke-"));
    const run = spawnSync(process.execPath, ["--import", "tsx", "bench/run.ts", "--smoke", "--out-dir", out], {
      encoding: "utf8",
      timeout: 170_000,
    });
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchResults;
    expect(results.failures).toEqual([]);
    expect(results.mode).toBe("smoke");
    expect(results.sections.map((s) => s.id)).toEqual(SECTIONS.map((s) => s.id));
    expect(results.machine.cores).toBeGreaterThan(0);
    for (const s of results.sections) {
      expect(s.tables.length, s.id).toBeGreaterThan(0);
      for (const t of s.targets) expect(["met", "missed", "not measured"]).toContain(t.status);
    }
    const markdown = readFileSync(join(out, "BENCHMARKS.md"), "utf8");
    expect(markdown).toContain("## Targets");
    expect(markdown).toContain("](ttft-chart.svg)");
    expect(existsSync(join(out, "ttft-chart.svg"))).toBe(true);
    expect(readFileSync(join(out, "ttft-chart.svg"), "utf8")).toMatch(/^<svg[\s\S]*<path[\s\S]*<\/svg>\n$/);
    // The README table is rendered from the same results (written to README.md by full runs only).
    expect(renderReadmeSummary(results)).toMatch(/^\| measurement \| kvcdn \| baseline \| result \|/);
  }, 180_000);
});
