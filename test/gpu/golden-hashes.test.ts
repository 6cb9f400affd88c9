import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { DiffPose } from '../../src/diffpose.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { resolveSettings, type ExecutorName, type LiftOptions } from '../../src/lift-options.js';
import { parseModelWeights, type ModelWeights } from '../../src/model/weights.js';
import { prepareInput } from '../../src/pose/input.js';
import { chooseFusedShape, createFusedExecutor, type FusedShape } from '../../src/schedule/fused-executor.js';
import { testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

/**
 * Bit-exact regression guard for refactors that must not change behaviour: the SHA-256 of every
 * executor's output (poses, spread and every hypothesis) for fixed inputs, seeds and settings, on
 * the shipped weights and on a small random model, against test/fixtures/golden-hashes.json.
 *
 * The CPU reference's bits do not depend on the adapter (plain JavaScript doubles rounded to f32):
 * its hashes are checked everywhere, even without a GPU. GPU bits may differ between adapters
 * (another driver, LLVM or SIMD width compiles the same fma chain differently), so the GPU hashes
 * are keyed by the adapter's vendor, device and driver description; an adapter without recorded
 * hashes (a real GPU, a machine whose llvmpipe picks another vector width) makes those tests
 * pending, never passed, and prints how to record them: GOLDEN_UPDATE=1 npx mocha ... writes the
 * current adapter's (and the CPU's) hashes into the file. A fresh CI machine with the Debian
 * packages of scripts/setup.sh has the keys recorded here (lavapipe and SwiftShader).
 */
const FILE = new URL('../fixtures/golden-hashes.json', import.meta.url);
const UPDATE = process.env.GOLDEN_UPDATE === '1';

interface GoldenFile {
  cpu: Record<string, string>;
  adapters: Record<string, Record<string, string>>;
}

function readGolden(): GoldenFile {
  try {
    return JSON.parse(readFileSync(FILE, 'utf8')) as GoldenFile;
  } catch {
    return { cpu: {}, adapters: {} };
  }
}

function sortedObject(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function hash(...arrays: Array<Float32Array | undefined>): string {
  const h = createHash('sha256');
  for (const a of arrays) if (a) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

export function adapterKey(gpu: GpuContext): string {
  const a = gpu.adapter;
  return `${a.vendor}/${a.device}/${a.description}`;
}

const TEN_STEPS = [45, 40, 35, 30, 25, 20, 15, 10, 5, 0];
/**
 * Batch x hypotheses picks the fused form on CPU adapters: below 4 items (8-lane subgroups) or 12
 * (others) the cooperative form, from there per invocation.
 */
const CASES: Array<{ name: string; n: number; options: LiftOptions }> = [
  { name: '1x1 official [12,0]', n: 1, options: { imageSize: [640, 480], hypotheses: 1, init: 'official' } },
  {
    name: '1x8 paper [12,0] eta 0.5',
    n: 1,
    options: { imageSize: [640, 480], hypotheses: 8, init: 'paper', seed: 3, eta: 0.5 },
  },
  {
    name: '3x1 paper 10 steps',
    n: 3,
    options: { imageSize: [1280, 720], hypotheses: 1, init: 'paper', seed: 4, timesteps: TEN_STEPS },
  },
  {
    name: '2x2 official 10 steps',
    n: 2,
    options: { imageSize: [640, 480], hypotheses: 2, init: 'official', timesteps: TEN_STEPS },
  },
  { name: '7x8 paper [12,0]', n: 7, options: { imageSize: [640, 480], hypotheses: 8, init: 'paper', seed: 5 } },
  {
    name: '13x1 paper [12,0] offset 40',
    n: 13,
    options: { imageSize: [1920, 1080], hypotheses: 1, init: 'paper', seed: 6, poseOffset: 40 },
  },
];

function inputs(n: number): { keypoints: Float32Array; confidence: Float32Array } {
  return {
    keypoints: someKeypoints(n, 100 + n),
    confidence: new Float32Array(n * 17).map((_, i) => ((i * 7) % 11) / 10),
  };
}

const MODELS: Array<{ name: string; weights: () => Uint8Array | undefined }> = [
  { name: 'shipped', weights: () => undefined },
  { name: 'small', weights: () => smallWeights(7) },
];

describe('golden hashes: every executor gives the committed bits', function () {
  this.timeout(1_200_000);
  const golden = readGolden();
  const seen: GoldenFile = { cpu: {}, adapters: {} };
  let gpuKey: string | undefined;

  after(() => {
    if (!UPDATE) return;
    const file = readGolden();
    file.cpu = sortedObject({ ...file.cpu, ...seen.cpu });
    if (gpuKey) file.adapters[gpuKey] = sortedObject({ ...file.adapters[gpuKey], ...seen.adapters[gpuKey] });
    writeFileSync(FILE, `${JSON.stringify(file, null, 2)}\n`);
    console.log(
      `      wrote ${Object.keys(seen.cpu).length} CPU and ${Object.keys(seen.adapters[gpuKey ?? ''] ?? {}).length} GPU hashes (${gpuKey ?? 'no adapter'})`,
    );
  });

  function checkCpu(key: string, value: string): void {
    seen.cpu[key] = value;
    if (UPDATE) return;
    expect(golden.cpu[key], `no committed CPU hash for ${key} (GOLDEN_UPDATE=1 records it)`).to.be.a('string');
    expect(value, `CPU ${key}`).to.equal(golden.cpu[key]);
  }

  function gpuExpectations(ctx: Mocha.Context, gpu: GpuContext): Record<string, string> | undefined {
    gpuKey = adapterKey(gpu);
    seen.adapters[gpuKey] ??= {};
    if (UPDATE) return undefined;
    const expected = golden.adapters[gpuKey];
    if (!expected) {
      console.log(
        `      no golden hashes for adapter ${JSON.stringify(gpuKey)}: GPU hashes not checked (GOLDEN_UPDATE=1 records them)`,
      );
      ctx.skip();
    }
    return expected;
  }

  function checkGpu(expected: Record<string, string> | undefined, key: string, value: string): void {
    seen.adapters[gpuKey!][key] = value;
    if (!expected) return;
    expect(expected[key], `no committed hash for ${key} on ${gpuKey}`).to.be.a('string');
    expect(value, `${key} on ${gpuKey}`).to.equal(expected[key]);
  }

  for (const m of MODELS) {
    describe(`${m.name} weights`, () => {
      it('CPU reference', async () => {
        const model = await DiffPose.load({ weights: m.weights(), backend: 'cpu' });
        try {
          for (const c of CASES) {
            const r = await model.lift(inputs(c.n).keypoints, {
              ...c.options,
              confidence: inputs(c.n).confidence,
              samples: true,
              executor: 'cpu',
            });
            checkCpu(`${m.name}/${c.name}/cpu`, hash(r.poses, r.spread, r.samples));
          }
        } finally {
          model.dispose();
        }
      });

      it('per-op, fused, fused-f16 and liftBuffers (fused, fused-f16)', async function () {
        const gpu = await testGpu(this);
        const expected = gpuExpectations(this, gpu);
        const model = await DiffPose.load({ weights: m.weights(), device: gpu.device, maxBatch: 1024 });
        try {
          for (const executor of ['per-op', 'fused', 'fused-f16'] as ExecutorName[]) {
            for (const c of CASES) {
              const { keypoints, confidence } = inputs(c.n);
              const r = await model.lift(keypoints, { ...c.options, confidence, samples: true, executor });
              checkGpu(expected, `${m.name}/${c.name}/${executor}`, hash(r.poses, r.spread, r.samples));
            }
          }
          checkGpu(expected, `${m.name}/liftBuffers`, await liftBuffersHash(gpu, model, 'fused'));
          checkGpu(expected, `${m.name}/liftBuffers/fused-f16`, await liftBuffersHash(gpu, model, 'fused-f16'));
        } finally {
          model.dispose();
        }
      });

      it('every fused form (cooperative and per invocation, plain and subgroup) x f32 / f16 gives the fused bits', async function () {
        const gpu = await testGpu(this);
        const expected = gpuExpectations(this, gpu);
        const weights: ModelWeights = parseModelWeights(
          m.weights() ?? readFileSync(new URL('../../weights/diffpose.safetensors', import.meta.url)),
        );
        const subgroups = chooseFusedShape(gpu, 16).subgroups;
        const forms: Array<[string, Partial<FusedShape>]> = [
          ['cooperative plain', { laneFrom: Infinity, subgroups: false, groupSize: 32 }],
          ['per-invocation plain', { laneFrom: 1, subgroups: false }],
          ...(subgroups
            ? ([
                ['cooperative subgroup', { laneFrom: Infinity, subgroups: true }],
                ['per-invocation subgroup', { laneFrom: 1, subgroups: true }],
              ] as Array<[string, Partial<FusedShape>]>)
            : []),
        ];
        for (const precision of ['f32', 'f16'] as const) {
          for (const [form, shape] of forms) {
            const executor = await createFusedExecutor(gpu, weights, { shape, precision, maxItems: 1024 });
            try {
              for (const c of [CASES[1], CASES[2], CASES[4]]) {
                const { keypoints, confidence } = inputs(c.n);
                const batch = prepareInput({ keypoints, confidence, imageSize: c.options.imageSize });
                const r = await executor.run(batch, resolveSettings({ ...c.options, samples: true }, weights.config));
                const name = precision === 'f32' ? 'fused' : 'fused-f16';
                const key = `${m.name}/${c.name}/${name}`;
                const value = hash(r.mean, r.spread, r.samples);
                if (expected) expect(value, `${key}: ${form}`).to.equal(expected[key]);
                else if (UPDATE)
                  expect(value, `${key}: ${form} vs the default form`).to.equal(seen.adapters[gpuKey!][key]);
              }
            } finally {
              executor.dispose();
            }
          }
        }
      });
    });
  }
});

/** liftBuffers into a caller's buffers (5 poses x 4 hypotheses): hash of poses and spread. */
async function liftBuffersHash(gpu: GpuContext, model: DiffPose, executor: 'fused' | 'fused-f16'): Promise<string> {
  const { device } = gpu;
  const n = 5;
  const { keypoints, confidence } = inputs(n);
  const packed = new Float32Array(n * 17 * 3);
  for (let i = 0; i < n * 17; i++) packed.set([keypoints[2 * i], keypoints[2 * i + 1], confidence[i]], 3 * i);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const kp = device.createBuffer({ label: 'golden keypoints', size: packed.byteLength, usage });
  const poses = device.createBuffer({ label: 'golden poses', size: n * 51 * 4, usage });
  const spread = device.createBuffer({ label: 'golden spread', size: n * 17 * 4, usage });
  const staging = device.createBuffer({
    label: 'golden readback',
    size: n * 68 * 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    device.queue.writeBuffer(kp, 0, packed as Float32Array<ArrayBuffer>);
    await model.liftBuffers({
      keypoints: kp,
      poses,
      spread,
      count: n,
      imageSize: [640, 480],
      hypotheses: 4,
      init: 'paper',
      seed: 12,
      eta: 0.3,
      executor,
    });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(poses, 0, staging, 0, n * 51 * 4);
    encoder.copyBufferToBuffer(spread, 0, staging, n * 51 * 4, n * 17 * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return hash(out);
  } finally {
    for (const b of [kp, poses, spread, staging]) b.destroy();
  }
}
