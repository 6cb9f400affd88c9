import type { EvalReport } from './evaluate.js';

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

/** The report as aligned text: one row per method, "MPJPE / P-MPJPE" in mm per source and overall. */
export function formatReport(r: EvalReport): string[] {
  const methodWidth = Math.max(28, ...r.rows.map((x) => x.method.length)) + 2;
  const colWidth = Math.max(15, ...r.groups.map((g) => `${g} (${r.counts[g]})`.length)) + 2;
  const header =
    'MPJPE / P-MPJPE, mm'.padEnd(methodWidth) +
    r.groups.map((g) => `${g} (${r.counts[g]})`.padStart(colWidth)).join('') +
    'time'.padStart(10);
  const lines = [header, '-'.repeat(header.length)];
  for (const row of r.rows) {
    lines.push(
      row.method.padEnd(methodWidth) +
        r.groups.map((g) => `${fmt(row.mpjpe[g])} / ${fmt(row.pmpjpe[g])}`.padStart(colWidth)).join('') +
        `${row.seconds.toFixed(1)} s`.padStart(10),
    );
  }
  const u = r.uncertainty;
  if (u) {
    lines.push('', `uncertainty, paper init, H=${u.hypotheses}:`);
    lines.push(
      'best-of-H MPJPE (oracle)'.padEnd(methodWidth) +
        r.groups.map((g) => fmt(u.oracleMpjpe[g]).padStart(colWidth)).join(''),
    );
    lines.push(
      'mean per-joint spread'.padEnd(methodWidth) +
        r.groups.map((g) => fmt(u.meanSpread[g]).padStart(colWidth)).join(''),
    );
    lines.push(
      `spread vs error, Pearson r: per joint ${fmt(u.jointSpreadErrorR, 3)} (root excluded), per pose ${fmt(u.poseSpreadErrorR, 3)}`,
    );
    if (u.sigma)
      lines.push(
        `the lifter's sigma vs the error of the paper init's H=1 lift, Pearson r per joint ${fmt(u.sigma.errorR, 3)} (root excluded); mean sigma ${fmt(u.sigma.mean)} mm`,
      );
  }
  const c = r.calibration;
  if (c) {
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    lines.push(
      '',
      'radius90 coverage (fraction of joints within their radius90; target 87-93% overall, 80-97% per group and band; root excluded):',
    );
    for (const [name, cov] of [
      ['paper init, H=1', c.single],
      [`paper init, H=${c.hypotheses}`, c.multi],
    ] as const) {
      lines.push(
        `  ${name}: overall ${pct(cov.overall)}; ` +
          Object.entries(cov.byGroup)
            .map(([g, v]) => `${g} ${pct(v)}`)
            .join(', ') +
          '; ' +
          Object.entries(cov.byBand)
            .map(([b, v]) => `${b} ${pct(v)}`)
            .join(', ') +
          `; mean error ${fmt(cov.meanError * 1000)} mm, mean radius90 ${fmt(cov.meanRadius * 1000)} mm, r(radius90, error) ${fmt(cov.radiusErrorR, 3)}`,
      );
    }
  }
  return lines;
}
