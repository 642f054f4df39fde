/**
 * A plain-text table: a header row and left-aligned columns separated by two spaces, no trailing spaces.
 * @example formatTable(["ID", "NAME"], [["a1", "cache"]]) // → "ID  NAME\na1  cache"
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [render(headers), ...rows.map(render)].join("\n");
}
