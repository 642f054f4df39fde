/**
 * The C allocator settings a model-running process wants on Linux with glibc (docs/runtime.md#memory-allocator).
 *
 * onnxruntime-node hands every output back as a fresh JavaScript array (a cache-sized copy of each `present.*` per
 * run), and `fs.readFile` of a `.kv` is one file-sized allocation. With glibc's defaults, allocations that big are
 * mapped from the kernel and unmapped again when freed, so every run pays page faults and zeroing for hundreds of MB
 * (0.2-1.7 s of system time per resume at 4,096 Qwen3-0.6B tokens on the benchmark machine). Keeping freed memory in
 * the heap for reuse removes that cost; the peak RSS does not change, but the process keeps its peak after a run,
 * like an inference server's arena.
 */

/**
 * `GLIBC_TUNABLES` value for model-running processes: allocations up to 4 GiB come from the heap (not a fresh mapping
 * each), and up to 4 GiB of freed heap is kept for reuse instead of being returned to the kernel.
 * The `kvcdn` CLI relaunches its model commands with it; set it yourself when starting a Node server that loads models:
 * @example GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296 node server.js
 */
export const MODEL_MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296";

/** How this process's C allocator is set for running models. */
export type MallocTuning =
  /** glibc with `GLIBC_TUNABLES` naming both malloc thresholds (set by kvcdn or by you). */
  | "tuned"
  /** glibc with its default thresholds: large outputs are mapped and unmapped on every run. */
  | "default"
  /** Not Linux with glibc (macOS, Windows, musl): `GLIBC_TUNABLES` means nothing here. */
  | "not-glibc";

/**
 * Whether this process runs with {@link MODEL_MALLOC_TUNABLES} (or its own values for both thresholds).
 * Environment variables are read by glibc at process start, so setting one afterwards changes nothing: start the
 * process with it.
 */
export function mallocTuning(env: NodeJS.ProcessEnv = process.env): MallocTuning {
  if (!runsOnGlibc()) return "not-glibc";
  return hasBothThresholds(env["GLIBC_TUNABLES"]) ? "tuned" : "default";
}

/** True when `tunables` (a `GLIBC_TUNABLES` value) sets both malloc thresholds. */
export function hasBothThresholds(tunables: string | undefined): boolean {
  const names = new Set((tunables ?? "").split(":").map((pair) => pair.split("=")[0]!.trim()));
  return names.has("glibc.malloc.mmap_threshold") && names.has("glibc.malloc.trim_threshold");
}

let glibc: boolean | undefined;

/** Linux with glibc (Node's report names the runtime glibc version; musl and other systems have none). */
export function runsOnGlibc(): boolean {
  if (glibc === undefined) {
    const header = process.platform === "linux" ? (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header : undefined;
    glibc = typeof header?.glibcVersionRuntime === "string";
  }
  return glibc;
}
