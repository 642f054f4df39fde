import { spawn, spawnSync } from "node:child_process";

/** What a finished external command produced. */
export interface CommandResult {
  /** Wall-clock seconds from spawn to exit. */
  seconds: number;
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Run a command (no shell) and time it from spawn to exit. Rejects when it exits non-zero, so a failed baseline never
 * turns into a fast number.
 * @example const { seconds, stdout } = await runCommand("openssl", ["dgst", "-sha256", "-r", file])
 */
export function runCommand(cmd: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...(options.env ? { env: options.env } : {}) });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(" ")} failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(0, 500)}`));
        return;
      }
      resolve({ seconds, stdout, stderr, code, signal });
    });
  });
}

/** Whether a command can be run (`cmd args` exits 0). */
export function hasCommand(cmd: string, args: string[] = ["--version"]): boolean {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/**
 * Drop one file's pages from the page cache without root and without touching other files: GNU dd's
 * `iflag=nocache count=0` asks the kernel (posix_fadvise DONTNEED) to forget the whole file. Returns false when
 * unsupported (then reads stay warm, and callers must say so).
 */
export function dropFileCache(file: string): boolean {
  const r = spawnSync("dd", [`if=${file}`, "iflag=nocache", "count=0", "status=none"], { stdio: "ignore" });
  return !r.error && r.status === 0;
}
