// Every document a comment, test name or README line cites must ship with the repository: `docs/<file>.md`, with an
// optional `#section` that must be one of that file's headings (GitHub's anchors). Citations of the references the
// docs were written from (outside the repository) are refused, so they cannot creep back in.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SELF = relative(REPO, fileURLToPath(import.meta.url));
const SCANNED_DIRS = ["src", "test", "bench", "scripts", "examples"];
const SCANNED_FILES = ["README.md", "tsup.config.ts", "vitest.config.ts"];
const TEXT = /\.(?:[cm]?[jt]s|py|md|sh)$/;

/** GitHub's heading anchor: lowercase, punctuation dropped (letters, digits, spaces, `-`, `_` kept), spaces → `-`. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (fenced code skipped; repeats get `-1`, `-2`, … as on GitHub). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = githubAnchor(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function scannedFiles(): string[] {
  const files = SCANNED_FILES.filter((f) => existsSync(join(REPO, f)));
  for (const dir of SCANNED_DIRS) {
    for (const entry of readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !TEXT.test(entry.name)) continue;
      const path = relative(REPO, join(entry.parentPath, entry.name));
      if (path.split(/[\\/]/).includes("node_modules")) continue;
      files.push(path);
    }
  }
  return files.sort();
}

interface Citation {
  from: string;
  line: number;
  file: string;
  section: string | undefined;
}

const CITATION = /\bdocs\/([\w.-]+\.md)(?:#([\w-]+))?/g;

function citationsIn(path: string, text: string): Citation[] {
  const out: Citation[] = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(CITATION)) out.push({ from: path, line: i + 1, file: m[1]!, section: m[2] });
  });
  return out;
}

/** Ways of citing a document that is not in the repository. */
const OUTSIDE: ReadonlyArray<[string, RegExp]> = [
  ["a path into the shared folder", /(?:\.\.\/)+shared\/|\/work\/shared\b|\bshared\/(?:reference|seeds)\b/],
  ["a reference document", /\breference\/[\w-]+\.md\b/],
  ["a document name without docs/", /(?<![\w/-])(?:TOOLCHAIN|STYLE|ml-runtime|service-contract|kv-format)\.md\b/],
  ["a numbered section of a reference", /(?<!RFC \d{3,5} )§|(?<![\w.])(?:Part [AB]|[AB]\.\d{1,2})(?![\w.])|\bgotcha \d/],
];

function outsideCitations(path: string, text: string): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const [what, pattern] of OUTSIDE) if (pattern.test(line)) found.push(`${path}:${i + 1}: ${what}: ${line.trim()}`);
  });
  return found;
}

const files = scannedFiles();
const texts = new Map(files.map((f) => [f, readFileSync(join(REPO, f), "utf8")]));

describe("citations of documents", () => {
  it("scans the source, tests, benchmarks, scripts, examples and README", () => {
    expect(files).toContain("README.md");
    expect(files.some((f) => f.startsWith("src/"))).toBe(true);
    expect(files.filter((f) => f.startsWith("test/"))).toContain(SELF);
  });

  it("cite only docs/ files that exist, and only sections those files have", () => {
    const anchors = new Map<string, Set<string> | undefined>();
    const broken: string[] = [];
    let count = 0;
    for (const [path, text] of texts) {
      if (path === SELF) continue;
      for (const c of citationsIn(path, text)) {
        count++;
        if (!anchors.has(c.file)) {
          const doc = join(REPO, "docs", c.file);
          anchors.set(c.file, existsSync(doc) ? anchorsOf(readFileSync(doc, "utf8")) : undefined);
        }
        const known = anchors.get(c.file);
        if (known === undefined) broken.push(`${c.from}:${c.line}: docs/${c.file} does not exist`);
        else if (c.section !== undefined && !known.has(c.section)) {
          broken.push(`${c.from}:${c.line}: docs/${c.file} has no section #${c.section}`);
        }
      }
    }
    expect(broken).toEqual([]);
    // The comments that used to cite the references now cite docs/: guard against a scan that finds nothing.
    expect(count).toBeGreaterThan(40);
  });

  it("never cite a document outside the repository", () => {
    const found = [...texts].filter(([path]) => path !== SELF).flatMap(([path, text]) => outsideCitations(path, text));
    expect(found).toEqual([]);
  });

  it("link sections between the docs pages that exist", () => {
    const docs = readdirSync(join(REPO, "docs")).filter((f) => f.endsWith(".md"));
    const anchors = new Map(docs.map((f) => [f, anchorsOf(readFileSync(join(REPO, "docs", f), "utf8"))]));
    const broken: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(REPO, "docs", doc), "utf8");
      // In-page links `(#section)`, relative links `(other.md#section)` and prose citations `docs/other.md#section`.
      const refs = [
        ...[...text.matchAll(/\]\(#([\w-]+)\)/g)].map((m) => [doc, m[1]] as const),
        ...[...text.matchAll(/\]\(([\w-]+\.md)(?:#([\w-]+))?\)/g)].map((m) => [m[1]!, m[2]] as const),
        ...citationsIn(doc, text).map((c) => [c.file, c.section] as const),
      ];
      for (const [file, section] of refs) {
        const known = anchors.get(file);
        if (known === undefined) broken.push(`docs/${doc}: ${file} does not exist`);
        else if (section !== undefined && !known.has(section)) {
          broken.push(`docs/${doc}: ${file} has no section #${section}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("githubAnchor", () => {
  it("matches GitHub's anchors for the headings the docs use", () => {
    expect(githubAnchor("transformers.js seeding")).toBe("transformersjs-seeding");
    expect(githubAnchor("Qwen3-0.6B reference values")).toBe("qwen3-06b-reference-values");
    expect(githubAnchor("The `.kv` format as kvcdn implements it")).toBe("the-kv-format-as-kvcdn-implements-it");
    expect(githubAnchor("Defects of kvcdn-cli we do not copy")).toBe("defects-of-kvcdn-cli-we-do-not-copy");
  });

  it("numbers repeated headings and ignores headings in code blocks", () => {
    expect([...anchorsOf("# A\n## B\n```\n# not a heading\n```\n## B\n")]).toEqual(["a", "b", "b-1"]);
  });
});

describe("the outside-citation patterns", () => {
  it("catch the old citation styles and let docs/ citations and RFC sections through", () => {
    const hits = (line: string) => outsideCitations("x.ts", line).length;
    for (const old of [
      "(service-contract.md B.1)",
      "(see kv-format.md §2)",
      "(TOOLCHAIN.md gotcha 4)",
      "`reference/ml-runtime.md` §1",
      "see ../shared/reference/kv-format.md",
      "normalised (B.11)",
      "the deployed one: A.6",
      "(service-contract.md Part B)",
    ]) {
      expect(hits(old), old).toBeGreaterThan(0);
    }
    for (const ok of [
      "(docs/service-contract.md#configuration-and-credentials)",
      "see docs/toolchain.md",
      'import { KvFormatError } from "../errors/kv-format-error.js";',
      "(RFC 9110 §14)",
      "bench/kv-format.bench.ts",
    ]) {
      expect(hits(ok), ok).toBe(0);
    }
  });
});
