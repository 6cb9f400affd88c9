import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart } from './svg-chart.js';
import { caseName, RELEASED_STEPS, type BenchCase } from './cases.js';

export type Status = 'ok' | 'skipped' | 'wrong' | 'failed';

export interface CaseResult {
  contestant: string;
  case: BenchCase;
  status: Status;
  reason?: string;
  firstMs?: number;
  minMs?: number;
  medianMs?: number;
  maxMs?: number;
  runs?: number;
  posesPerSecond?: number;
  gflops?: number;
  /** Of the adapter's measured FMA peak (GPU contestants only). */
  percentOfPeak?: number;
  details?: Record<string, unknown>;
}

export interface BenchReport {
  date: string;
  machine: Record<string, unknown>;
  adapter: string;
  peakGflops?: number;
  model: Record<string, unknown>;
  contestants: Array<{ name: string; device?: string; version?: string; skipped?: string }>;
  results: CaseResult[];
}

export function median(sorted: number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

const f = (v: number | undefined, digits = 1) =>
  v === undefined ? '-' : v >= 1e7 ? v.toExponential(2) : v >= 1e4 ? v.toFixed(0) : v.toFixed(digits);

export const TABLE_HEADER = `${'case'.padEnd(18)} ${'contestant'.padEnd(26)} ${'first ms'.padStart(9)}  ${'min / median / max ms'.padEnd(28)} ${'runs'.padStart(4)} ${'poses/s'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'%peak'.padStart(6)}`;

export function tableRow(r: CaseResult): string {
  const head = `${caseName(r.case).padEnd(18)} ${r.contestant.padEnd(26)}`;
  if (r.status !== 'ok') return `${head} ${r.status.toUpperCase()}: ${r.reason}`;
  const times = `${f(r.minMs)} / ${f(r.medianMs)} / ${f(r.maxMs)}`;
  return `${head} ${f(r.firstMs).padStart(9)}  ${times.padEnd(28)} ${String(r.runs).padStart(4)} ${f(r.posesPerSecond).padStart(9)} ${f(r.gflops, 2).padStart(8)} ${f(r.percentOfPeak, 1).padStart(6)}`;
}

/** The engine's own metrics of a case in one line. */
export function detailsRow(r: CaseResult): string | undefined {
  const d = r.details;
  if (!d || r.status !== 'ok') return undefined;
  const parts = [`${d.dispatches} dispatches, ${d.submits} submit${d.submits === 1 ? '' : 's'}`];
  const gpu = d.gpuMsPerDispatch as Record<string, number> | undefined;
  if (gpu)
    parts.push(
      `GPU ms: ${Object.entries(gpu)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}`,
    );
  if (typeof d.residentMs === 'number' && r.medianMs !== undefined) {
    parts.push(
      `GPU-resident call ${d.residentMs.toFixed(1)} ms (upload + readback + host ${(r.medianMs - d.residentMs).toFixed(1)} ms)`,
    );
  }
  if (typeof d.gpuBufferBytes === 'number') parts.push(`${(d.gpuBufferBytes / 2 ** 20).toFixed(1)} MiB GPU buffers`);
  return `${''.padEnd(18)}   ${parts.join('; ')}`;
}

/** results.json and one chart per hypothesis count (released schedule): poses/s against batch size. */
export function writeReport(dir: string, report: BenchReport): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, 'results.json')];
  writeFileSync(files[0], JSON.stringify(report, null, 1) + '\n');
  const released = report.results.filter((r) => r.status === 'ok' && r.case.timesteps.join() === RELEASED_STEPS.join());
  for (const H of [...new Set(released.map((r) => r.case.hypotheses))].sort((a, b) => a - b)) {
    const series = report.contestants
      .filter((c) => !c.skipped)
      .map((c) => ({
        name: c.name,
        points: released
          .filter((r) => r.contestant === c.name && r.case.hypotheses === H)
          .map((r) => [r.case.poses, r.posesPerSecond!] as [number, number]),
      }))
      .filter((s) => s.points.length > 0);
    const file = join(dir, `poses-per-second-H${H}.svg`);
    writeFileSync(
      file,
      lineChart({
        title: `DiffPose lift, H = ${H}, timesteps [12, 0] — ${report.adapter}`,
        xLabel: 'poses per call',
        yLabel: 'poses per second (median)',
        logX: true,
        logY: true,
        series,
      }),
    );
    files.push(file);
  }
  return files;
}
