import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, totalmem } from "node:os";

/** The machine a run happened on: recorded in results.json and BENCHMARKS.md next to every number. */
export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs Node sees. */
  cores: number;
  /** CPU flags that matter here (SHA-NI for hashing, AVX2/F16C/FMA for onnxruntime and conversions). */
  cpuFlags: string[];
  ramBytes: number;
  freeRamBytesAtStart: number;
  node: string;
  platform: string;
  kernel: string;
  /** 1, 5 and 15 minute load averages when the run started (2 cores: 2.0 means fully busy). */
  loadAverageAtStart: [number, number, number];
  openssl: string | null;
  curl: string | null;
  onnxruntimeNode: string | null;
}

/** First line of `cmd --version`-style output, or null when the tool is missing. */
export function toolVersion(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error || r.status !== 0) return null;
  return (r.stdout || r.stderr).split("\n")[0]!.trim() || null;
}

function interestingFlags(): string[] {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const line = info.split("\n").find((l) => l.startsWith("flags")) ?? "";
    const flags = new Set(line.split(":")[1]?.trim().split(/\s+/) ?? []);
    return ["sha_ni", "avx2", "avx512f", "fma", "f16c"].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

function packageVersion(name: string): string | null {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Collect {@link MachineInfo} (call it first, so the load average is the one at the start). */
export function machineInfo(): MachineInfo {
  const load = loadavg();
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    cpuFlags: interestingFlags(),
    ramBytes: totalmem(),
    freeRamBytesAtStart: freemem(),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    kernel: release(),
    loadAverageAtStart: [load[0]!, load[1]!, load[2]!],
    openssl: toolVersion("openssl", ["version"]),
    curl: toolVersion("curl", ["--version"]),
    onnxruntimeNode: packageVersion("onnxruntime-node"),
  };
}
