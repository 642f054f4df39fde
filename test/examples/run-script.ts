import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: scripts run from here, so tsconfig `paths` resolve `kvcdn/*` to src/ (no build needed). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const TSX_CLI = join(REPO, "node_modules", "tsx", "dist", "cli.mjs");

/** What a script run left behind. */
export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Entries the script left in its private TMPDIR whose names start with `kvcdn-` (temp folders it should remove). */
  leftovers: string[];
}

/**
 * Run `npx tsx <script> ...args` as a user would, from the repository root, with a clean environment: no KVCDN_*
 * variable unless given in `env`, no config.toml (HOME and XDG_CONFIG_HOME point at an empty folder), and a private
 * TMPDIR so the test can see what the script left behind.
 */
export async function runScript(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<ScriptRun> {
  const sandbox = await mkdtemp(join(tmpdir(), "examples-test-"));
  const tmp = join(sandbox, "tmp");
  const home = join(sandbox, "home");
  await mkdir(tmp);
  await mkdir(home);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KVCDN_")));
  try {
    const child = spawn(process.execPath, [TSX_CLI, script, ...args], {
      cwd: REPO,
      env: { ...base, HOME: home, XDG_CONFIG_HOME: home, TMPDIR: tmp, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    const leftovers = (await readdir(tmp)).filter((name) => name.startsWith("kvcdn-"));
    return { code, stdout, stderr, leftovers };
  } finally {
    await rm(sandbox, { recursive: true, force: true });
  }
}

/** A failure message that shows what the script printed. */
export function describeRun(run: ScriptRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
