/** A small dependency-free SVG line chart on log–log axes (TTFT against context length). */

/** One line of the chart. */
export interface ChartSeries {
  label: string;
  color: string;
  /** Dashed line (used for the cached path). */
  dashed?: boolean;
  points: Array<{ x: number; y: number }>;
}

const W = 780;
const H = 470;
const M = { left: 84, right: 230, top: 48, bottom: 58 };

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Seconds as a short tick label. */
function secondsLabel(s: number): string {
  if (s >= 1) return `${Number(s.toPrecision(3))} s`;
  return `${Number((s * 1000).toPrecision(3))} ms`;
}

/**
 * Render series on log2 x and log10 y axes; points with non-positive or non-finite values are left out.
 * @example writeFileSync("ttft.svg", renderLogLogChart({ title, xLabel: "context tokens", yLabel: "TTFT", series }))
 */
export function renderLogLogChart(params: { title: string; subtitle?: string; xLabel: string; yLabel: string; series: ChartSeries[] }): string {
  const series = params.series.map((s) => ({ ...s, points: s.points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y)) }));
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xMin = Math.log2(xs.length ? Math.min(...xs) : 128);
  const xMax = Math.log2(xs.length ? Math.max(...xs) : 4096);
  const yMin = Math.floor(Math.log10(ys.length ? Math.min(...ys) : 0.01));
  const yMax = Math.ceil(Math.log10(ys.length ? Math.max(...ys) : 100));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const xSpan = Math.max(1, xMax - xMin);
  const ySpan = Math.max(1, yMax - yMin);
  const px = (x: number) => M.left + ((Math.log2(x) - xMin) / xSpan) * plotW;
  const py = (y: number) => M.top + plotH - ((Math.log10(y) - yMin) / ySpan) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(params.title)}</text>`);
  if (params.subtitle) out.push(`<text x="${M.left}" y="38" fill="#555">${esc(params.subtitle)}</text>`);
  // Grid and y ticks: 1, 2, 5 per decade.
  for (let d = yMin; d <= yMax; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (Math.log10(v) > yMax + 1e-9) continue;
      const y = py(v);
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${m === 1 ? "#d0d0d0" : "#eeeeee"}"/>`);
      if (m === 1 || ySpan <= 3) out.push(`<text x="${M.left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#333">${secondsLabel(v)}</text>`);
    }
  }
  // x ticks at the powers of two in range.
  for (let e = Math.ceil(xMin); e <= Math.floor(xMax); e++) {
    const x = px(2 ** e);
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#eeeeee"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${M.top + plotH + 18}" text-anchor="middle" fill="#333">${2 ** e}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 14}" text-anchor="middle">${esc(params.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(params.yLabel)}</text>`);
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(`${s.label}: ${p.x} tokens, ${secondsLabel(p.y)}`)}</title></circle>`);
    }
  }
  // Legend.
  series.forEach((s, i) => {
    const y = M.top + 12 + i * 22;
    const x = M.left + plotW + 16;
    out.push(`<line x1="${x}" x2="${x + 28}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`);
    out.push(`<text x="${x + 36}" y="${y + 4}">${esc(s.label)}${s.points.length === 0 ? " (not measured)" : ""}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
