// The benchmark suite: this engine (fused, per-op, CPU reference) against the runtimes a user
// would pick instead (onnxruntime-web on WebGPU, onnxruntime-node and PyTorch on the CPU), same
// weights, same inputs, same timesteps, every answer checked against the CPU reference before
// its timings count. Prints a table; writes results.json and charts. Asserts nothing about speed.
//   npm run bench [-- --quick | --tiny] [--weights f] [--out dir] [--only a,b] [--threads n]
//                 [--plain-blas] [--budget s] [--target s]
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measurePeakGflops } from './peak-flops.js';
import { macsPerPose } from './arithmetic.js';
import { benchCases, benchInput, caseName, type BenchCase } from './cases.js';
import { WrongResult, type Contestant, type MeasurePlan, type Skipped } from './contestant.js';
import { engineContestants } from './contestants/engine.js';
import { onnxNodeContestant, onnxWebGpuContestant } from './contestants/onnx.js';
import { torchContestant } from './contestants/pytorch.js';
import { onnxModels } from './onnx-model.js';
import { ReferenceChecks } from './reference-check.js';
import {
  detailsRow,
  median,
  TABLE_HEADER,
  tableRow,
  writeReport,
  type BenchReport,
  type CaseResult,
} from './report.js';

const ENGINE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tiny: { type: 'boolean', default: false },
    weights: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
    threads: { type: 'string' },
    'plain-blas': { type: 'boolean', default: false },
    budget: { type: 'string' },
    target: { type: 'string' },
  },
});
const size = args.tiny ? 'tiny' : args.quick ? 'quick' : 'full';
const weightsPath = args.weights ?? fileURLToPath(new URL('../weights/diffpose.safetensors', import.meta.url));
const outDir = args.out ?? fileURLToPath(new URL(`results/${size}`, import.meta.url));
/** Threads of the CPU peers: every core, as lavapipe uses every core. */
const threads = Number(args.threads ?? cpus().length);
/** A contestant skips a case whose estimated single call exceeds this (seconds). */
const budgetMs = 1000 * Number(args.budget ?? { full: 150, quick: 8, tiny: 60 }[size]);
/** Timed calls per case stop after this much time (after at least one). */
const plan: MeasurePlan = {
  targetMs: 1000 * Number(args.target ?? { full: 8, quick: 1.5, tiny: 0.1 }[size]),
  maxRuns: { full: 15, quick: 5, tiny: 2 }[size],
};
const only = args.only?.split(',').map((s) => s.trim().toLowerCase());

// --- the engine, on the adapter it finds (or the CPU reference alone without one)
const engine = await engineContestants(weightsPath, ENGINE_VERSION);
const model = engine.models[0];
const gpu = model.gpu;
const contestants: Contestant[] = [];
const skipped: Skipped[] = [];
const add = (c: Contestant | Skipped) => {
  if ('skipped' in c) skipped.push(c);
  else contestants.push(c);
};
engine.contestants.forEach(add);

// --- the peers
const onnx = onnxModels(weightsPath, fileURLToPath(new URL('results/onnx', import.meta.url)));
if ('missing' in onnx) {
  skipped.push(
    { name: 'onnxruntime-web WebGPU', skipped: onnx.missing },
    { name: 'onnxruntime-node CPU', skipped: onnx.missing },
  );
} else {
  add(await onnxWebGpuContestant(onnx, model.config, gpu?.keepAlive as GPU, gpu?.device, model.adapter));
  add(await onnxNodeContestant(onnx, model.config, threads));
}
add(torchContestant(weightsPath, model.config, threads, args['plain-blas']));
const selected = contestants.filter((c) => !only || only.some((o) => c.name.toLowerCase().includes(o)));

// --- what the machine is and what the adapter can do
const peak = gpu ? await measurePeakGflops(gpu, { seconds: size === 'full' ? 2 : 0.3 }) : undefined;
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${process.platform} ${release()}`,
  node: process.version,
};
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.os}; node ${machine.node}`,
);
console.log(`adapter: ${model.adapter}${peak ? `; measured FMA peak ${peak.gflops.toFixed(1)} GFLOP/s` : ''}`);
const cfg = model.config;
console.log(
  `model: lifter ${cfg.lifter.hidden}x${cfg.lifter.layers}, denoiser ${cfg.denoiser.hidden}x${cfg.denoiser.layers} (${weightsPath.split('/').slice(-2).join('/')}); ` +
    `${(macsPerPose(model.weights, 1, 2) / 1e6).toFixed(1)} M multiply-adds per pose at H = 1, [12, 0]`,
);
for (const c of selected) console.log(`  ${c.name.padEnd(26)} ${c.version.padEnd(10)} ${c.device}`);
for (const s of skipped) console.log(`  ${s.name.padEnd(26)} SKIPPED: ${s.skipped}`);
console.log(
  `cases: ${size}; timed calls per case: until ${plan.targetMs / 1000} s (at most ${plan.maxRuns}) after a first call; estimated calls over ${budgetMs / 1000} s are skipped\n`,
);
console.log(TABLE_HEADER);

// --- the cases
const checks = new ReferenceChecks(model, benchInput);
const results: CaseResult[] = [];
/** The last (work, median ms) per contestant, to estimate the next case's time. */
const lastCost = new Map<string, { work: number; ms: number }>();
const workOf = (c: BenchCase) => c.poses * (1 + c.hypotheses * c.timesteps.length);
for (const c of benchCases(size)) {
  const input = benchInput(c.poses);
  for (const contestant of selected) {
    const r = await runCase(contestant, c, input);
    results.push(r);
    console.log(tableRow(r));
    const details = detailsRow(r);
    if (details) console.log(details);
  }
}

async function runCase(
  contestant: Contestant,
  c: BenchCase,
  input: ReturnType<typeof benchInput>,
): Promise<CaseResult> {
  const base = { contestant: contestant.name, case: c };
  const last = lastCost.get(contestant.name);
  const estimate = last ? (last.ms * workOf(c)) / last.work : 0;
  if (estimate > budgetMs)
    return {
      ...base,
      status: 'skipped',
      reason: `one call would take ~${(estimate / 1000).toFixed(0)} s (budget ${budgetMs / 1000} s)`,
    };
  const runs =
    estimate > 0
      ? Math.max(1, Math.min(plan.maxRuns, Math.floor(plan.targetMs / estimate)))
      : Math.min(3, plan.maxRuns);
  try {
    const check = await checks.checkFor(c, contestant.tolerance);
    const m = await contestant.measure(c, input, check, {
      ...plan,
      maxRuns: contestant.name.startsWith('PyTorch') ? runs : plan.maxRuns,
    });
    const times = [...m.timesMs].sort((a, b) => a - b);
    const med = median(times);
    lastCost.set(contestant.name, { work: workOf(c), ms: med });
    const gflops = (2 * macsPerPose(model.weights, c.hypotheses, c.timesteps.length) * c.poses) / (med / 1000) / 1e9;
    const onGpu = contestant.device === model.adapter;
    return {
      ...base,
      status: 'ok',
      firstMs: m.firstMs,
      minMs: times[0],
      medianMs: med,
      maxMs: times[times.length - 1],
      runs: times.length,
      posesPerSecond: c.poses / (med / 1000),
      gflops,
      percentOfPeak: onGpu && peak ? (100 * gflops) / peak.gflops : undefined,
      details: m.details,
    };
  } catch (e) {
    if (e instanceof WrongResult) return { ...base, status: 'wrong', reason: e.message };
    return { ...base, status: 'failed', reason: (e as Error).message.split('\n')[0] };
  }
}

// --- ratios the README quotes, then the files
const medianOf = (name: string, poses: number, H: number) =>
  results.find(
    (r) =>
      r.status === 'ok' &&
      r.contestant === name &&
      r.case.poses === poses &&
      r.case.hypotheses === H &&
      r.case.timesteps.length === 2,
  )?.medianMs;
console.log('\nratios (median latency of the other / fused; > 1 means the fused engine is faster):');
for (const other of [
  'onnxruntime-web WebGPU',
  'onnxruntime-node CPU',
  'PyTorch CPU',
  'engine per-op f32',
  'engine fused f16',
]) {
  const parts: string[] = [];
  for (const [n, H] of [
    [1, 1],
    [1, 8],
    [64, 1],
    [1024, 1],
    [8192, 1],
  ]) {
    const a = medianOf('engine fused f32', n, H),
      b = medianOf(other, n, H);
    if (a && b) parts.push(`${n}x${H}: ${(b / a).toFixed(2)}x`);
  }
  if (parts.length) console.log(`  vs ${other.padEnd(24)} ${parts.join('  ')}`);
}
const report: BenchReport = {
  date: new Date().toISOString(),
  machine,
  adapter: model.adapter,
  peakGflops: peak?.gflops,
  model: {
    config: cfg,
    weights: weightsPath.split('/').slice(-2).join('/'),
    maxBatch: model.maxBatch,
    macsPerPoseH1: macsPerPose(model.weights, 1, 2),
  },
  contestants: [...selected.map((c) => ({ name: c.name, device: c.device, version: c.version })), ...skipped],
  results,
};
const files = writeReport(outDir, report);
console.log(`\nwrote ${files.map((p) => p.replace(fileURLToPath(new URL('..', import.meta.url)), '')).join(', ')}`);
for (const c of selected) await c.dispose();
for (const m of engine.models) m.dispose();
const failed = results.filter((r) => r.status === 'wrong' || r.status === 'failed');
if (failed.length) {
  console.error(
    `${failed.length} case(s) wrong or failed: ${failed.map((r) => `${r.contestant} ${caseName(r.case)}`).join('; ')}`,
  );
  process.exitCode = 1;
}
