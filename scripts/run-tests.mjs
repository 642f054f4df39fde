// The README's test command: typecheck, vitest (whose global setup, test/global-setup.ts, builds dist/ for the CLI
// and package tests), then the plain closing line `N passed, N failed` that CI reads (vitest's own summary is not one
// of the formats it understands).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const results = ".vitest-results.json";
const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit", shell: process.platform === "win32" }).status ?? 1;

const typecheck = run("npx", ["tsc", "--noEmit"]);
if (typecheck !== 0) {
  console.log("0 passed, 1 failed");
  process.exit(typecheck);
}
rmSync(results, { force: true });
const extra = process.argv.slice(2);
const code = run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...extra]);
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(results, "utf8"));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numFailedTestSuites > 0 && json.numFailedTests === 0 ? json.numFailedTestSuites : 0);
  // Unhandled errors fail the run without failing any one test: count them so the closing line never says 0.
  if (code !== 0 && failed === 0) failed = 1;
} catch {
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : failed > 0 ? 1 : 0);
