import { readFileSync } from "node:fs";

/**
 * This process's peak RSS in bytes: VmHWM from /proc (per address space, so it starts afresh at exec). Not
 * `process.resourceUsage().maxRSS`: Linux carries getrusage's high-water mark across exec from the forking parent,
 * so a worker spawned by the (large) benchmark process would report the parent's peak instead of its own.
 */
export function peakRssBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS * 1024;
}
