import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from '../../bench/report.js';
import { requireGpu } from '../helpers/gpu.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
/** What .ci/run installs; elsewhere a missing peer is reported as skipped by the script itself. */
const EVERY_CONTESTANT = [
  'engine fused f32',
  'engine per-op f32',
  'engine CPU reference',
  'onnxruntime-web WebGPU',
  'onnxruntime-node CPU',
  'PyTorch CPU',
];

/**
 * Keeps `npm run bench` working: the script on tiny sizes, with every installed contestant's
 * answers checked against the CPU reference by the script (a wrong answer exits non-zero).
 * Timings are printed by the script and not looked at here.
 */
describe('benchmark script (--tiny)', function () {
  // onnxruntime-web compiles its WebGPU shaders on the first call: minutes on lavapipe without a shader cache.
  this.timeout(1_200_000);
  let dir: string;
  let report: BenchReport;
  let stdout: string;

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'diffpose-bench-'));
    // Plain BLAS: the test must not fetch OpenBLAS (train/openblas.sh) from the network.
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--tiny', '--plain-blas', '--threads', '1', '--out', dir],
      { cwd: repoRoot, encoding: 'utf8', maxBuffer: 2 ** 26 },
    );
    stdout = r.stdout;
    if (r.status !== 0) throw new Error(`bench/run.ts --tiny exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    report = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchReport;
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every case of every contestant that is installed, each checked correct', () => {
    const ran = report.contestants.filter((c) => !c.skipped).map((c) => c.name);
    if (requireGpu()) expect(ran, 'CI installs every contestant').to.include.members(EVERY_CONTESTANT);
    else expect(ran).to.include('engine CPU reference');
    for (const c of report.contestants.filter((x) => x.skipped))
      expect(c.skipped, `${c.name} says why it was skipped`).to.be.a('string').and.not.equal('');
    const cases = new Set(report.results.map((r) => JSON.stringify(r.case)));
    expect(cases.size).to.equal(5);
    for (const name of ran) {
      for (const c of cases) {
        const r = report.results.find((x) => x.contestant === name && JSON.stringify(x.case) === c);
        expect(r, `${name} ${c}`).to.not.equal(undefined);
        expect(r!.status, `${name} ${c}: ${r!.reason}`).to.equal('ok');
        expect(r!.medianMs).to.be.above(0);
        expect(r!.posesPerSecond).to.be.above(0);
      }
    }
  });

  it("reports the fused path's dispatches, submits and buffer memory, the adapter's peak, and writes the charts", function () {
    const fused = report.results.filter((r) => r.contestant === 'engine fused f32');
    if (!fused.length) {
      if (requireGpu()) throw new Error('no fused results in CI');
      this.skip();
    }
    for (const r of fused) {
      expect(r.details!.dispatches).to.equal(3);
      expect(r.details!.submits).to.equal(1);
      expect(r.details!.gpuBufferBytes).to.be.above(0);
    }
    expect(report.peakGflops).to.be.above(0);
    expect(report.machine.cores).to.be.above(0);
    for (const H of [1, 2]) expect(existsSync(join(dir, `poses-per-second-H${H}.svg`)), `chart H=${H}`).to.equal(true);
    expect(stdout).to.match(/ratios \(median latency/);
  });
});
