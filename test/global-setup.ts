// vitest's global setup: build dist/ once per run, before any test file starts, so the tests of the `kvcdn` bin and
// of the published entries (test/cli/bin.test.ts, test/package/) never run against a stale build. The build is
// skipped when dist/ was made from exactly the current sources (a content hash, not mtimes), so running one test
// file stays fast.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const STAMP = join(REPO, "dist", ".source-sha256");
/** What the build reads: the sources and the files that configure it. */
const INPUTS = ["src", "tsup.config.ts", "tsconfig.json", "package.json"];

function sourceHash(): string {
  const hash = createHash("sha256");
  const add = (path: string) => {
    hash.update(relative(REPO, path)).update("\0").update(readFileSync(path)).update("\0");
  };
  for (const input of INPUTS) {
    const path = join(REPO, input);
    if (!input.startsWith("src")) {
      add(path);
      continue;
    }
    const files = readdirSync(path, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of files) add(file);
  }
  return hash.digest("hex");
}

export default function setup(): void {
  const digest = sourceHash();
  if (existsSync(STAMP) && readFileSync(STAMP, "utf8") === digest && existsSync(join(REPO, "dist", "cli.js"))) return;
  const tsup = join(REPO, "node_modules", ".bin", process.platform === "win32" ? "tsup.cmd" : "tsup");
  const build = spawnSync(tsup, ["--silent"], { cwd: REPO, stdio: "inherit", shell: process.platform === "win32" });
  if (build.status !== 0) throw new Error(`the tsup build for the tests failed (exit ${build.status ?? build.signal})`);
  writeFileSync(STAMP, digest);
}
