const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * A byte count for humans, in binary units with one decimal: `1536` → `"1.5 KiB"`, `512` → `"512 B"`.
 * @example formatBytes(1048576) // → "1.0 MiB"
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}
