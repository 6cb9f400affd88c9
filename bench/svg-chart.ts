/**
 * Line charts as standalone SVG documents, for the benchmark report: no dependencies, so the
 * files render in any browser or viewer and diff as text.
 */

export interface ChartSeries {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  series: ChartSeries[];
}

const WIDTH = 800;
const HEIGHT = 480;
const PLOT_LEFT = 80;
const PLOT_TOP = 48;
const PLOT_BOTTOM = HEIGHT - 60;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
// Legend names past this are cut (the full name stays in a tooltip) so the plot keeps its width.
const LEGEND_MAX_CHARS = 32;
// Rough advance of a 12px sans-serif character, to size the legend column without measuring text.
const CHAR_WIDTH = 6.8;

// Okabe & Ito's palette, which stays distinguishable under the common colour-vision deficiencies;
// yellow last because it is faint on white. Marker shapes differ too, for grey-scale prints.
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'plus', 'cross', 'star'] as const;
type Marker = (typeof MARKERS)[number];

/** Text and attribute values for XML; drops the control characters XML 1.0 cannot hold at all. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) continue;
    else if (c === 0xfffe || c === 0xffff || (c >= 0xd800 && c <= 0xdfff)) continue;
    else out += ch;
  }
  return out;
}

/** Tick label: 1, 10, 100, 1k, 10k, 2.5M, 0.1, 0.005, 1e-6. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const sign = v < 0 ? '-' : '';
  // Rounded first, so that 999.9 becomes 1k rather than 1000.
  const a = Number(Math.abs(v).toPrecision(3));
  const units: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    if (a >= scale) return `${sign}${trim(a / scale)}${suffix}`;
  }
  if (a >= 1e-4) return `${sign}${trim(a)}`;
  return `${sign}${a.toExponential(1).replace('.0e', 'e')}`;
}

/** Three significant digits without float noise (0.30000000000000004 -> 0.3). */
function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

interface Axis {
  log: boolean;
  /** Domain ends, in value space. */
  lo: number;
  hi: number;
  /** Labelled ticks with grid lines, and unlabelled minor grid lines. */
  ticks: number[];
  minor: number[];
}

function niceStep(range: number, count: number): number {
  const raw = range / count;
  // Subnormal or overflowing ranges have no sensible step: one tick per end instead.
  if (!(raw > 0 && Number.isFinite(raw))) return Math.abs(range) || 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function linearTicks(lo: number, hi: number, count = 6): number[] {
  const step = niceStep(hi - lo, count);
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9 && ticks.length < 50; k++) {
    ticks.push(Number((k * step).toPrecision(12)));
  }
  return ticks;
}

function extent(values: number[], empty: [number, number]): [number, number] {
  if (values.length === 0) return empty;
  return values.reduce<[number, number]>(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
}

function linearAxis(values: number[]): Axis {
  let [lo, hi] = extent(values, [0, 1]);
  if (lo === hi) {
    const half = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= half;
    hi += half;
  }
  // As on log axes, a margin keeps end markers off the frame even when they fall on a tick.
  const pad = 0.04 * (hi - lo);
  lo -= pad;
  hi += pad;
  // Widen to the enclosing ticks so the data never touches the frame between two labels.
  const step = niceStep(hi - lo, 6);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  return { log: false, lo, hi, ticks: linearTicks(lo, hi), minor: [] };
}

function logAxis(values: number[]): Axis {
  let [lo, hi] = extent(values, [1, 10]).map(Math.log10);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  // A margin of 4% of the decades each side keeps end markers off the frame.
  const pad = 0.04 * (hi - lo);
  lo -= pad;
  hi += pad;
  const decades = hi - lo;
  const inside = (v: number) => Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9;
  const powers: number[] = [];
  for (let e = Math.ceil(lo - 1e-9); e <= Math.floor(hi + 1e-9); e++) powers.push(e);
  // Every k-th power of ten so that at most ~9 labels share the axis.
  const every = Math.max(1, Math.ceil(powers.length / 9));
  let ticks = powers.filter((e) => e % every === 0).map((e) => Number((10 ** e).toPrecision(12)));
  const multiples = (ms: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++)
      for (const m of ms) out.push(Number((m * 10 ** e).toPrecision(12)));
    return out.filter(inside);
  };
  // Few decades leave few powers of ten: label the 2s and 5s as well, or every digit.
  if (decades < 2.5) ticks = multiples(decades < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2, 5]);
  if (ticks.length < 2) ticks = linearTicks(10 ** lo, 10 ** hi, 4).filter((v) => v > 0 && inside(v));
  const labelled = new Set(ticks);
  const minor = decades <= 8 ? multiples([1, 2, 3, 4, 5, 6, 7, 8, 9]).filter((v) => !labelled.has(v)) : [];
  return { log: true, lo: 10 ** lo, hi: 10 ** hi, ticks, minor };
}

/** Maps a value to [0, 1] along the axis (log10 space on a log axis). */
function fraction(axis: Axis, v: number): number {
  if (axis.log) return (Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo));
  return (v - axis.lo) / (axis.hi - axis.lo);
}

function usable(p: [number, number], logX: boolean, logY: boolean): boolean {
  const [x, y] = p;
  return Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0) && (!logY || y > 0);
}

function markerSvg(shape: Marker, x: number, y: number, colour: string): string {
  const r = 3.5;
  const filled = `fill="${colour}" stroke="${colour}"`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${num(x)}" cy="${num(y)}" r="${r}" ${filled}/>`;
    case 'square':
      return `<rect x="${num(x - r)}" y="${num(y - r)}" width="${2 * r}" height="${2 * r}" ${filled}/>`;
    case 'triangle':
      return `<path d="M${num(x)} ${num(y - r * 1.2)}L${num(x + r * 1.1)} ${num(y + r * 0.8)}L${num(x - r * 1.1)} ${num(y + r * 0.8)}Z" ${filled}/>`;
    case 'triangle-down':
      return `<path d="M${num(x)} ${num(y + r * 1.2)}L${num(x + r * 1.1)} ${num(y - r * 0.8)}L${num(x - r * 1.1)} ${num(y - r * 0.8)}Z" ${filled}/>`;
    case 'diamond':
      return `<path d="M${num(x)} ${num(y - r * 1.3)}L${num(x + r * 1.3)} ${num(y)}L${num(x)} ${num(y + r * 1.3)}L${num(x - r * 1.3)} ${num(y)}Z" ${filled}/>`;
    case 'plus':
      return `<path d="M${num(x - r * 1.2)} ${num(y)}H${num(x + r * 1.2)}M${num(x)} ${num(y - r * 1.2)}V${num(y + r * 1.2)}" fill="none" stroke="${colour}" stroke-width="2"/>`;
    case 'cross':
      return `<path d="M${num(x - r)} ${num(y - r)}L${num(x + r)} ${num(y + r)}M${num(x - r)} ${num(y + r)}L${num(x + r)} ${num(y - r)}" fill="none" stroke="${colour}" stroke-width="2"/>`;
    case 'star': {
      const pts: string[] = [];
      for (let k = 0; k < 10; k++) {
        const rad = k % 2 === 0 ? r * 1.4 : r * 0.6;
        const t = -Math.PI / 2 + (k * Math.PI) / 5;
        pts.push(`${num(x + rad * Math.cos(t))},${num(y + rad * Math.sin(t))}`);
      }
      return `<polygon points="${pts.join(' ')}" ${filled}/>`;
    }
  }
}

/**
 * The title across the whole width: a long one (benchmark titles carry the adapter's name) gets a
 * smaller font, then is squeezed to fit rather than running off the edge.
 */
function titleSvg(title: string): string {
  const available = WIDTH - 32;
  // 0.6 em: a generous average advance of bold sans-serif glyphs.
  const estimate = (size: number) => [...title].length * size * 0.6;
  const size = Math.max(11, Math.min(15, Math.floor(available / Math.max(1, estimate(1)))));
  const squeeze = estimate(size) > available ? ` textLength="${available}" lengthAdjust="spacingAndGlyphs"` : '';
  return `<text class="title" x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="${size}" font-weight="600"${squeeze}>${escapeXml(title)}</text>`;
}

/** A standalone SVG line chart: one polyline with markers per series, axes, grid, legend, title. */
export function lineChart(spec: LineChartSpec): string {
  const logX = spec.logX ?? false;
  const logY = spec.logY ?? false;
  const series = spec.series.map((s, i) => ({
    ...s,
    colour: COLOURS[i % COLOURS.length],
    marker: MARKERS[i % MARKERS.length],
    // Sorted by x so that a series given out of order still draws as a line, not a scribble.
    points: s.points.filter((p) => usable(p, logX, logY)).sort((a, b) => a[0] - b[0]),
  }));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xAxis = logX ? logAxis(xs) : linearAxis(xs);
  const yAxis = logY ? logAxis(ys) : linearAxis(ys);

  const longest = Math.max(0, ...series.map((s) => Math.min(LEGEND_MAX_CHARS, [...s.name].length)));
  const legendWidth = series.length > 0 ? Math.ceil(44 + longest * CHAR_WIDTH) : 0;
  const plotRight = WIDTH - 24 - legendWidth;
  const px = (x: number) => PLOT_LEFT + fraction(xAxis, x) * (plotRight - PLOT_LEFT);
  const py = (y: number) => PLOT_BOTTOM - fraction(yAxis, y) * (PLOT_BOTTOM - PLOT_TOP);

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT} font-size="12">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);

  out.push('<g class="grid" fill="none">');
  for (const v of xAxis.minor)
    out.push(`<line x1="${num(px(v))}" y1="${PLOT_TOP}" x2="${num(px(v))}" y2="${PLOT_BOTTOM}" stroke="#f0f0f0"/>`);
  for (const v of yAxis.minor)
    out.push(`<line x1="${PLOT_LEFT}" y1="${num(py(v))}" x2="${num(plotRight)}" y2="${num(py(v))}" stroke="#f0f0f0"/>`);
  for (const v of xAxis.ticks)
    out.push(`<line x1="${num(px(v))}" y1="${PLOT_TOP}" x2="${num(px(v))}" y2="${PLOT_BOTTOM}" stroke="#d9d9d9"/>`);
  for (const v of yAxis.ticks)
    out.push(`<line x1="${PLOT_LEFT}" y1="${num(py(v))}" x2="${num(plotRight)}" y2="${num(py(v))}" stroke="#d9d9d9"/>`);
  out.push('</g>');

  out.push(
    `<rect class="frame" x="${PLOT_LEFT}" y="${PLOT_TOP}" width="${num(plotRight - PLOT_LEFT)}" height="${PLOT_BOTTOM - PLOT_TOP}" fill="none" stroke="#333333"/>`,
  );
  out.push('<g class="ticks" fill="#333333">');
  for (const v of xAxis.ticks) {
    out.push(
      `<line x1="${num(px(v))}" y1="${PLOT_BOTTOM}" x2="${num(px(v))}" y2="${PLOT_BOTTOM + 5}" stroke="#333333"/>`,
    );
    out.push(`<text x="${num(px(v))}" y="${PLOT_BOTTOM + 19}" text-anchor="middle">${escapeXml(formatTick(v))}</text>`);
  }
  for (const v of yAxis.ticks) {
    out.push(`<line x1="${PLOT_LEFT - 5}" y1="${num(py(v))}" x2="${PLOT_LEFT}" y2="${num(py(v))}" stroke="#333333"/>`);
    out.push(`<text x="${PLOT_LEFT - 8}" y="${num(py(v) + 4)}" text-anchor="end">${escapeXml(formatTick(v))}</text>`);
  }
  out.push('</g>');

  const midX = (PLOT_LEFT + plotRight) / 2;
  const midY = (PLOT_TOP + PLOT_BOTTOM) / 2;
  out.push(titleSvg(spec.title));
  out.push(
    `<text class="x-label" x="${num(midX)}" y="${HEIGHT - 16}" text-anchor="middle" font-size="13">${escapeXml(spec.xLabel)}</text>`,
  );
  out.push(
    `<text class="y-label" x="20" y="${num(midY)}" text-anchor="middle" font-size="13" transform="rotate(-90 20 ${num(midY)})">${escapeXml(spec.yLabel)}</text>`,
  );

  for (const s of series) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<g class="series"><title>${escapeXml(s.name)}</title>`);
    out.push(
      `<polyline points="${s.points.map(([x, y]) => `${num(px(x))},${num(py(y))}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-linejoin="round"${dash}/>`,
    );
    for (const [x, y] of s.points) out.push(markerSvg(s.marker, px(x), py(y), s.colour));
    out.push('</g>');
  }

  if (series.length > 0) {
    const x0 = plotRight + 16;
    out.push('<g class="legend">');
    series.forEach((s, i) => {
      const y = PLOT_TOP + 10 + i * 20;
      const chars = [...s.name];
      const shown = chars.length > LEGEND_MAX_CHARS ? `${chars.slice(0, LEGEND_MAX_CHARS - 1).join('')}…` : s.name;
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(
        `<line x1="${num(x0)}" y1="${y}" x2="${num(x0 + 28)}" y2="${y}" stroke="${s.colour}" stroke-width="2"${dash}/>`,
      );
      out.push(markerSvg(s.marker, x0 + 14, y, s.colour));
      out.push(`<text x="${num(x0 + 36)}" y="${y + 4}">${escapeXml(shown)}<title>${escapeXml(s.name)}</title></text>`);
    });
    out.push('</g>');
  }

  out.push('</svg>');
  return out.join('\n') + '\n';
}
