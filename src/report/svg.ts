// Inline SVG charts for the self-contained HTML report: line charts (linear or log axes) and overlaid
// histograms. No scripts, no network: the report reads offline.

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** Optional vertical error bars per point: [low, high]. */
  readonly errors?: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
  /** Points only, no line: a scatter plot. */
  readonly dotsOnly?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
}

const W = 420;
const H = 300;
const PAD = { left: 56, right: 16, top: 28, bottom: 44 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function scale(range: readonly [number, number], log: boolean, from: number, to: number) {
  const [a, b] = log ? [Math.log10(range[0]), Math.log10(range[1])] : range;
  return (v: number) => from + ((to - from) * ((log ? Math.log10(Math.max(v, range[0])) : v) - a)) / (b - a || 1);
}

function ticks(range: readonly [number, number], log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(range[0])); e <= Math.ceil(Math.log10(range[1])); e++) out.push(10 ** e);
    return out.filter((t) => t >= range[0] * 0.999 && t <= range[1] * 1.001);
  }
  return Array.from({ length: 5 }, (_, i) => range[0] + ((range[1] - range[0]) * i) / 4);
}

function extent(values: number[], log: boolean): [number, number] {
  const vs = log ? values.filter((v) => v > 0) : values;
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

const label = (v: number) =>
  Math.abs(v) >= 1e6 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : Math.abs(v) >= 100 ? String(Math.round(v)) : String(+v.toFixed(3));

export function lineChart(input: readonly Series[], o: ChartOptions): string {
  // A point that could not be computed (NaN) is left out rather than drawn at a nonsense place.
  const series = input.map((s) => {
    const keep = s.points.map((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    return { ...s, points: s.points.filter((_, j) => keep[j]), errors: s.errors?.filter((_, j) => keep[j]) };
  });
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.errors ?? []).flat()]);
  if (xs.length === 0) return frame(o, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">not measured on this data</text>`);
  const xr = o.xRange ?? extent(xs, Boolean(o.xLog));
  const yr = o.yRange ?? extent(ys, Boolean(o.yLog));
  const x = scale(xr, Boolean(o.xLog), PAD.left, W - PAD.right);
  const y = scale(yr, Boolean(o.yLog), H - PAD.bottom, PAD.top);
  const parts: string[] = [];
  for (const t of ticks(xr, Boolean(o.xLog))) parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${PAD.top}" y2="${H - PAD.bottom}" class="grid"/><text x="${x(t)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${label(t)}</text>`);
  for (const t of ticks(yr, Boolean(o.yLog))) parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${PAD.left - 4}" y="${y(t) + 4}" text-anchor="end">${label(t)}</text>`);
  series.forEach((s, i) => {
    const path = s.points.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    if (!s.dotsOnly) parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    s.errors?.forEach(([lo, hi], j) => parts.push(`<line x1="${x(s.points[j][0])}" x2="${x(s.points[j][0])}" y1="${y(lo)}" y2="${y(hi)}" stroke="${s.color}"/>`));
    if (s.points.length <= 12 || s.dotsOnly) s.points.forEach((p) => parts.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="${s.dotsOnly ? 2 : 3}" fill="${s.color}"${s.dotsOnly ? ' fill-opacity="0.6"' : ''}/>`));
    parts.push(`<rect x="${PAD.left + 8}" y="${PAD.top + 6 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${PAD.left + 22}" y="${PAD.top + 15 + i * 16}">${escapeHtml(s.name)}</text>`);
  });
  return frame(o, parts.join(''));
}

/** Overlaid histograms of several samples over shared bins. */
export function histogram(samples: readonly { name: string; color: string; values: readonly number[] }[], o: ChartOptions, bins = 30): string {
  const all = samples.flatMap((s) => [...s.values]).filter(Number.isFinite);
  const [lo, hi] = o.xRange ?? extent(all, false);
  const width = (hi - lo) / bins;
  const series: Series[] = samples.map((s) => {
    const counts = new Array(bins).fill(0);
    for (const v of s.values) if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
    return { name: s.name, color: s.color, points: counts.flatMap((c, i) => [[lo + i * width, c / s.values.length] as const, [lo + (i + 1) * width, c / s.values.length] as const]) };
  });
  return lineChart(series, { ...o, xRange: [lo, hi] });
}

function frame(o: ChartOptions, body: string): string {
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(o.title)}" class="chart">` +
    `<text x="${W / 2}" y="16" text-anchor="middle" class="title">${escapeHtml(o.title)}</text>${body}` +
    `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(o.xLabel)}</text>` +
    `<text transform="translate(14 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(o.yLabel)}</text></svg>`;
}
