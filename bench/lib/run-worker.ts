import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** The repository root (bench/lib/ is two levels down). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Bundled workers of this process: under bench/out/ (git-ignored) so their bare imports resolve to node_modules. */
const BUNDLE_DIR = join(REPO_ROOT, "bench", "out", `workers-${process.pid}`);
const bundles = new Map<string, Promise<string>>();

/**
 * `bench/workers/<name>.ts` bundled (src/ included, packages external) into one plain `.mjs`, so workers run on bare
 * Node: no TypeScript loader in the measured process (tsx alone adds about 50 MiB of RSS and start-up work).
 */
export function bundledWorker(name: string): Promise<string> {
  let entry = bundles.get(name);
  if (entry === undefined) {
    const outfile = join(BUNDLE_DIR, `${name}.mjs`);
    entry = build({
      entryPoints: [fileURLToPath(new URL(`../workers/${name}.ts`, import.meta.url))],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      logLevel: "silent",
    }).then(() => outfile);
    bundles.set(name, entry);
  }
  return entry;
}

/** Remove this process's bundled workers. */
export function removeBundledWorkers(): void {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
}

/** What a worker process reported. */
export interface WorkerOutcome<T> {
  /** Every JSON line the worker printed on stdout, in order. */
  lines: T[];
  /** Exit code (0 on success) or the signal that killed it (e.g. SIGKILL from the OOM killer or our timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
}

/**
 * Run `bench/workers/<name>.ts` in a fresh Node process (bundled, see {@link bundledWorker}) and collect the JSON lines it prints. Workers
 * isolate what must not share a process with the runner: peak-RSS measurements, the local store, and onnxruntime
 * sessions that may use many GiB. Never rejects because the worker failed: callers decide what a partial result means.
 * @example const { lines } = await runWorker<{ seconds: number }>({ name: "transfer-worker", args: ["upload", url, key, file] })
 */
export function runWorker<T = Record<string, unknown>>(params: {
  name: string;
  args: string[];
  /** Extra flags for node, e.g. `--expose-gc`. */
  nodeArgs?: string[];
  /** Kill the worker (SIGKILL) after so many ms. */
  timeoutMs?: number;
  /** Called with each JSON line as it arrives. */
  onLine?: (line: T) => void;
  /** Called with stderr text as it arrives (progress lines). */
  onStderr?: (text: string) => void;
  /** Extra environment variables (secrets go here, never in `args`, which other users can see in `ps`). */
  env?: Record<string, string>;
}): Promise<WorkerOutcome<T>> {
  return bundledWorker(params.name).then((script) => spawnWorker(script, params));
}

function spawnWorker<T>(script: string, params: Parameters<typeof runWorker<T>>[0]): Promise<WorkerOutcome<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(params.nodeArgs ?? []), script, ...params.args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...params.env },
    });
    const lines: T[] = [];
    let buffer = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buffer += d;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!text.startsWith("{")) continue;
        try {
          const line = JSON.parse(text) as T;
          lines.push(line);
          params.onLine?.(line);
        } catch {
          // not one of ours (a library printing to stdout); ignore
        }
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
      params.onStderr?.(d);
    });
    const timer =
      params.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, params.timeoutMs);
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ lines, code, signal, timedOut, stderr });
    });
  });
}

/** The one result line of a worker that must succeed; throws with its stderr otherwise. */
export async function runWorkerOnce<T>(params: Parameters<typeof runWorker<T>>[0]): Promise<T> {
  const out = await runWorker<T>(params);
  const last = out.lines[out.lines.length - 1];
  if (out.code !== 0 || last === undefined) {
    throw new Error(
      `worker ${params.name} ${params.args[0] ?? ""} failed (${out.timedOut ? "timed out" : out.signal ?? `exit ${out.code}`}): ${out.stderr.trim().slice(-1500)}`,
    );
  }
  return last;
}
