// Renders a results.json of `npm run bench` as the Markdown tables of the README's performance
// section, so the committed numbers are copied by a program, not by hand.
//   npx tsx bench/markdown.ts bench/results/reference/results.json
import { readFileSync } from 'node:fs';
import { caseName } from './cases.js';
import type { BenchReport, CaseResult } from './report.js';

const report = JSON.parse(
  readFileSync(process.argv[2] ?? 'bench/results/reference/results.json', 'utf8'),
) as BenchReport;
const ran = report.contestants.filter((c) => !c.skipped);
const cases = [...new Map(report.results.map((r) => [caseName(r.case), r.case])).values()];
const ms = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
const pps = (v: number) => (v >= 10 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));

function cell(r: CaseResult | undefined): string {
  if (!r) return '';
  if (r.status === 'ok') return `${ms(r.medianMs!)} (${pps(r.posesPerSecond!)})`;
  if (r.status === 'skipped') return 'over budget';
  return r.status.toUpperCase();
}

console.log(`| poses x H, steps | ${ran.map((c) => c.name).join(' | ')} |`);
console.log(`|---|${ran.map(() => '---').join('|')}|`);
for (const c of cases) {
  const row = ran.map((x) =>
    cell(report.results.find((r) => r.contestant === x.name && caseName(r.case) === caseName(c))),
  );
  console.log(`| ${caseName(c)} | ${row.join(' | ')} |`);
}
console.log(
  '\nFused f32 path per case: dispatches / submits, GPU ms per dispatch (lifter, denoise, aggregate), GPU-resident call, GFLOP/s and % of the measured FMA peak:\n',
);
console.log('| poses x H, steps | dispatches / submits | GPU ms | resident ms | GFLOP/s | % peak |');
console.log('|---|---|---|---|---|---|');
for (const r of report.results.filter((x) => x.contestant === 'engine fused f32' && x.status === 'ok')) {
  const d = r.details ?? {};
  const gpu = d.gpuMsPerDispatch as Record<string, number> | undefined;
  console.log(
    `| ${caseName(r.case)} | ${d.dispatches} / ${d.submits} | ${
      gpu
        ? Object.values(gpu)
            .map((v) => ms(v))
            .join(', ')
        : '-'
    } | ${typeof d.residentMs === 'number' ? ms(d.residentMs) : '-'} | ${r.gflops!.toFixed(1)} | ${r.percentOfPeak?.toFixed(0) ?? '-'} |`,
  );
}
