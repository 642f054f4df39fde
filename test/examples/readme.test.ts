import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command, Option } from "commander";
import { parse as parseToml } from "smol-toml";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { normalizeArtifact } from "../../src/client/artifact.js";
import { buildProgram } from "../../src/cli/run-cli.js";
import { REPO } from "./run-script.js";

const README = readFileSync(join(REPO, "README.md"), "utf8");
const PACKAGE = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: Record<string, string> };

/** The fenced blocks of the README with their language tag. */
function blocks(lang: string): string[] {
  const out: string[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of README.matchAll(fence)) if (m[1] === lang) out.push(m[2]!);
  return out;
}

/** Shell commands of the README: `sh` block lines (continuations joined, comments cut) and inline `kvcdn …` spans. */
function shellCommands(): string[] {
  const commands: string[] = [];
  for (const block of blocks("sh")) {
    for (const line of block.replace(/\\\n\s*/g, " ").split("\n")) {
      // Leading environment assignments (`KVCDN_API_URL=… npm run demo`) are not part of the command.
      const command = line.replace(/\s+#.*$/, "").trim().replace(/^(?:[A-Z_]+=\S+\s+)+/, "");
      if (command !== "") commands.push(...command.split(/\s+&&\s+/));
    }
  }
  for (const m of README.matchAll(/`(kvcdn [^`]+)`/g)) commands.push(m[1]!.replace(/\\\|/g, "|"));
  return commands;
}

/** Every long and short flag a command accepts, plus the global ones. */
function flagsOf(command: Command, program: Command): Set<string> {
  const flags = new Set<string>(["--help", "-h"]);
  const add = (o: Option) => {
    if (o.long) flags.add(o.long);
    if (o.short) flags.add(o.short);
  };
  for (const o of program.options as Option[]) add(o);
  for (const o of command.options as Option[]) add(o);
  // `kvcdn cache prune --max-size`: a command's subcommands bring their own flags.
  for (const sub of command.commands) for (const o of sub.options as Option[]) add(o);
  return flags;
}

describe("README", () => {
  it("starts with the two commands: npm ci && npm run demo, then npm test", () => {
    const firstHeading = README.indexOf("\n## ");
    expect(README.slice(firstHeading, firstHeading + 25)).toBe("\n## The two commands\n\n```");
    expect(blocks("sh")[0]).toBe("npm ci && npm run demo\nnpm test\n");
  });

  it("names only npm scripts that exist, and example or script files that exist", () => {
    const npmBuiltins = new Set(["ci", "test", "install"]);
    for (const command of shellCommands()) {
      const npm = /^npm (?:run )?([\w:-]+)/.exec(command);
      if (npm && !npmBuiltins.has(npm[1]!)) expect(PACKAGE.scripts, command).toHaveProperty(npm[1]!);
      if (command.startsWith("npm run demo --")) {
        const demo = readFileSync(join(REPO, "scripts", "demo.ts"), "utf8");
        const flags = command.slice(command.indexOf(" -- ") + 4).match(/(?<=^|\s)--?[a-zA-Z][\w-]*/g) ?? [];
        expect(flags.length, command).toBeGreaterThan(0);
        for (const flag of flags) {
          const name = flag.replace(/^-+/, "");
          expect(demo, `${command}: demo flag ${flag}`).toMatch(new RegExp(`(?:"${name}"|${name}): \\{ type`));
        }
      }
      for (const file of command.match(/(?:examples|scripts)\/[\w.-]+\.(?:ts|txt)/g) ?? []) {
        expect(existsSync(join(REPO, file)), `${command}: ${file}`).toBe(true);
      }
    }
  });

  it("uses only CLI commands and flags that exist", () => {
    const program = buildProgram();
    const byName = new Map(program.commands.map((c) => [c.name(), c]));
    let checked = 0;
    for (const command of shellCommands()) {
      const m = /^(?:npx )?kvcdn (\S+)(.*)$/.exec(command);
      if (!m) continue;
      const sub = byName.get(m[1]!);
      expect(sub, `unknown command in: ${command}`).toBeDefined();
      const known = flagsOf(sub!, program);
      for (const flag of m[2]!.match(/(?<=^|[\s[(|])--?[a-zA-Z][\w-]*/g) ?? []) {
        expect(known.has(flag), `${command}: ${flag} is not a flag of kvcdn ${m[1]}`).toBe(true);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("documents every CLI command", () => {
    for (const command of buildProgram().commands) {
      expect(README, `kvcdn ${command.name()} is not in the CLI reference`).toContain(`\`kvcdn ${command.name()}`);
    }
  });

  it("shows an Artifact with exactly the fields the client returns", () => {
    const [json] = blocks("json");
    const shown = JSON.parse(json!) as Record<string, unknown>;
    expect(Object.keys(shown).sort()).toEqual(Object.keys(normalizeArtifact({ id: "x" })!).sort());
  });

  it("shows a config.toml that parses, with the documented keys", () => {
    for (const toml of blocks("toml")) {
      for (const key of Object.keys(parseToml(toml))) expect(README).toContain(`| \`${key}\` |`);
    }
  });

  it("links the benchmarks", () => {
    expect(README).toMatch(/^## Benchmarks\n[\s\S]*?\(BENCHMARKS\.md\)/m);
  });

  // Each ```ts block is type-checked as a module of this repository (kvcdn/* resolve to src/ through tsconfig paths),
  // exactly as `npm test`'s tsc checks examples/: snippets that stop compiling fail here.
  it("has TypeScript snippets that compile", () => {
    const snippets = blocks("ts");
    expect(snippets.length).toBeGreaterThanOrEqual(8);
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(join(REPO, "tsconfig.json"), ts.sys.readFile).config, ts.sys, REPO);
    const files = new Map(snippets.map((code, i) => [join(REPO, "examples", `__readme_snippet_${i + 1}.ts`), code]));
    const host = ts.createCompilerHost(config.options);
    const { getSourceFile, fileExists, readFile } = host;
    host.getSourceFile = (name, language, ...rest) =>
      files.has(name) ? ts.createSourceFile(name, files.get(name)!, language) : getSourceFile.call(host, name, language, ...rest);
    host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
    host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
    const program = ts.createProgram({ rootNames: [...files.keys()], options: { ...config.options, noEmit: true }, host });
    const problems: string[] = [];
    for (const name of files.keys()) {
      const sf = program.getSourceFile(name)!;
      for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
        const { line } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
        const first = files.get(name)!.split("\n")[0];
        problems.push(`snippet starting "${first}" line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
