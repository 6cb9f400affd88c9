import { confidenceBand } from '../model/calibration.js';
import { pearson } from './pose-metrics.js';

/**
 * How well radius90 covers the errors (issue 18): the fraction of joints whose error is within
 * their radius, overall, per joint group and per confidence band, and the reliability of the
 * radius (predicted radius against the observed 90% quantile of the error, by radius decile).
 * The root joint is left out: poses are root-relative, so its error and radius are 0.
 */
export const JOINT_GROUPS: Readonly<Record<string, readonly number[]>> = {
  torso: [1, 4, 7, 8],
  head: [9, 10],
  arms: [11, 12, 13, 14, 15, 16],
  legs: [2, 3, 5, 6],
};

export interface CoverageReport {
  overall: number;
  byGroup: Record<string, number>;
  /** Per band, labelled by its confidence range. */
  byBand: Record<string, number>;
  /** Mean error / mean radius90 and / mean spread. */
  meanError: number;
  meanRadius: number;
  /** Pearson r of radius90 and the error over the joints (root excluded). */
  radiusErrorR: number;
  /** Deciles of the predicted radius: [mean predicted, observed 0.9-quantile of the error] per decile, metres. */
  reliability: Array<[number, number]>;
}

/** errors, radius, confidence: [N, 17] (metres; confidence in [0, 1]). */
export function coverageReport(
  errors: ArrayLike<number>,
  radius: ArrayLike<number>,
  confidence: ArrayLike<number>,
  bands: readonly number[],
): CoverageReport {
  const groupOf = new Map<number, string>();
  for (const [g, js] of Object.entries(JOINT_GROUPS)) for (const j of js) groupOf.set(j, g);
  const labels = Array.from(
    { length: bands.length + 1 },
    (_, b) => `c ${b === 0 ? '0' : bands[b - 1]}-${b === bands.length ? '1' : bands[b]}`,
  );
  const count = (keys: string[]) =>
    Object.fromEntries(keys.map((k) => [k, [0, 0]])) as Record<string, [number, number]>;
  const groups = count(Object.keys(JOINT_GROUPS)),
    byBand = count(labels);
  let inside = 0,
    n = 0,
    sumE = 0,
    sumR = 0;
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < errors.length; i++) {
    const j = i % 17;
    if (j === 0) continue;
    const hit = errors[i] <= radius[i] ? 1 : 0;
    inside += hit;
    n++;
    sumE += errors[i];
    sumR += radius[i];
    const g = groups[groupOf.get(j)!];
    g[0] += hit;
    g[1]++;
    const b = byBand[labels[confidenceBand(bands, confidence[i])]];
    b[0] += hit;
    b[1]++;
    pairs.push([radius[i], errors[i]]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const reliability: Array<[number, number]> = [];
  for (let d = 0; d < 10; d++) {
    const bin = pairs.slice(Math.floor((d * pairs.length) / 10), Math.floor(((d + 1) * pairs.length) / 10));
    if (!bin.length) continue;
    const errs = bin.map((p) => p[1]).sort((a, b) => a - b);
    reliability.push([
      bin.reduce((s, p) => s + p[0], 0) / bin.length,
      errs[Math.min(errs.length - 1, Math.ceil(0.9 * errs.length) - 1)],
    ]);
  }
  const frac = (r: Record<string, [number, number]>) =>
    Object.fromEntries(
      Object.entries(r)
        .filter(([, v]) => v[1] > 0)
        .map(([k, v]) => [k, v[0] / v[1]]),
    );
  return {
    overall: inside / n,
    byGroup: frac(groups),
    byBand: frac(byBand),
    meanError: sumE / n,
    meanRadius: sumR / n,
    radiusErrorR: pearson(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
    ),
    reliability,
  };
}

/** The reliability diagram as an SVG: observed 0.9-quantile of the error against the predicted radius, per decile, and the diagonal. */
export function reliabilitySvg(r: CoverageReport, title: string): string {
  const W = 420,
    H = 420,
    pad = 50;
  const max = Math.max(...r.reliability.flat(), 0.01) * 1.1;
  const x = (v: number) => pad + ((W - 2 * pad) * v) / max,
    y = (v: number) => H - pad - ((H - 2 * pad) * v) / max;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const points = r.reliability
    .map(([p, o]) => `<circle cx="${x(p).toFixed(1)}" cy="${y(o).toFixed(1)}" r="4" fill="#2f6fd6"/>`)
    .join('');
  const line = r.reliability.map(([p, o], i) => `${i ? 'L' : 'M'}${x(p).toFixed(1)},${y(o).toFixed(1)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${title}</text>
<line x1="${x(0)}" y1="${y(0)}" x2="${x(max)}" y2="${y(max)}" stroke="#999" stroke-dasharray="4 3"/>
${ticks.map((t) => `<text x="${x(t)}" y="${H - pad + 16}" text-anchor="middle">${(t * 1000).toFixed(0)}</text><text x="${pad - 6}" y="${y(t) + 4}" text-anchor="end">${(t * 1000).toFixed(0)}</text>`).join('')}
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#333"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#333"/>
<text x="${W / 2}" y="${H - 12}" text-anchor="middle">predicted radius90, mm (mean per decile)</text>
<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">observed 90% error quantile, mm</text>
<path d="${line}" fill="none" stroke="#2f6fd6"/>${points}
<text x="${pad + 8}" y="${pad + 10}">coverage ${(r.overall * 100).toFixed(1)}% (target 90%)</text>
</svg>
`;
}
