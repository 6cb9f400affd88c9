import { cpus } from 'node:os';
import type * as Ort from 'onnxruntime-common';
import { resolveSettings } from '../../src/lift-options.js';
import type { ModelConfig } from '../../src/model/config.js';
import { liftWithNetworks, type SamplerNetworks } from '../../src/model/reference-sampler.js';
import { splitLifterOutput } from '../../src/model/lifter-output.js';
import { prepareInput } from '../../src/pose/input.js';
import type { BenchCase, BenchInput } from '../cases.js';
import {
  timeCalls,
  type Check,
  type Contestant,
  type MeasurePlan,
  type Measurement,
  type Skipped,
} from '../contestant.js';

/** ONNX Runtime against the same ONNX numerics the engine has; a little slack for op order. */
const ORT_TOLERANCE = 1e-4;
/** Poses per session run: bounds the activations (with H = 8, 8192 items per denoiser run). */
const CHUNK = 1024;

type OrtModule = typeof Ort;

/**
 * An ONNX Runtime contestant: the lifter and denoiser as sessions, and around them the engine's
 * own sampling code (init, DDIM, aggregation in TypeScript with the same random draws), as a
 * user of a generic runtime would drive it.
 */
class OnnxContestant implements Contestant {
  readonly tolerance = ORT_TOLERANCE;

  constructor(
    readonly name: string,
    readonly device: string,
    readonly version: string,
    private readonly ort: OrtModule,
    private readonly lifter: Ort.InferenceSession,
    private readonly denoiser: Ort.InferenceSession,
    private readonly config: ModelConfig,
  ) {}

  private networks(): SamplerNetworks {
    const { ort } = this;
    return {
      chunk: CHUNK,
      lifter: async (uv, n, confidence) => {
        const feeds: Record<string, Ort.Tensor> = { uv: new ort.Tensor('float32', uv, [n, 17, 2]) };
        // A confidence-reading lifter's export takes it as a second input (train/export_onnx.py).
        if (this.lifter.inputNames.includes('confidence'))
          feeds.confidence = new ort.Tensor('float32', confidence ?? new Float32Array(n * 17).fill(1), [n, 17]);
        const out = (await this.lifter.run(feeds)).xyz;
        return splitLifterOutput(out.data as Float32Array, n, Number(out.dims[2]));
      },
      denoiser: async (x, n, t) => {
        const steps = new BigInt64Array(n).fill(BigInt(t));
        const out = await this.denoiser.run({
          x: new ort.Tensor('float32', x, [n, 17, 5]),
          t: new ort.Tensor('int64', steps, [n]),
        });
        return out.eps.data as Float32Array;
      },
    };
  }

  measure(c: BenchCase, input: BenchInput, check: Check, plan: MeasurePlan): Promise<Measurement> {
    const options = {
      imageSize: input.imageSize,
      confidence: input.confidence,
      hypotheses: c.hypotheses,
      timesteps: c.timesteps,
    };
    const nets = this.networks();
    return timeCalls(
      async () => {
        // Input preparation is part of a lift, as it is in the engine's timings.
        const batch = prepareInput({
          keypoints: input.keypoints,
          imageSize: input.imageSize,
          confidence: input.confidence,
        });
        return (await liftWithNetworks(nets, batch, resolveSettings(options, this.config))).mean;
      },
      check,
      plan,
    );
  }

  async dispose(): Promise<void> {
    await this.lifter.release();
    await this.denoiser.release();
  }
}

/** onnxruntime-node, CPU execution provider, `threads` intra-op threads. */
export async function onnxNodeContestant(
  files: { lifter: string; denoiser: string },
  config: ModelConfig,
  threads: number,
): Promise<Contestant | Skipped> {
  const name = 'onnxruntime-node CPU';
  let ort: OrtModule;
  try {
    ort = (await import('onnxruntime-node')) as unknown as OrtModule;
  } catch (e) {
    return { name, skipped: `onnxruntime-node is not installed (${(e as Error).message.split('\n')[0]})` };
  }
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  const [lifter, denoiser] = await Promise.all([
    ort.InferenceSession.create(files.lifter, options),
    ort.InferenceSession.create(files.denoiser, options),
  ]);
  const version = ort.env.versions.node ?? ort.env.versions.common;
  return new OnnxContestant(
    name,
    `CPU, ${threads} thread${threads > 1 ? 's' : ''} (${cpus()[0]?.model ?? 'unknown'})`,
    version,
    ort,
    lifter,
    denoiser,
    config,
  );
}

/**
 * Dawn's Node binding rejects writeBuffer from a view of shared memory (onnxruntime-web's wasm
 * heap is a SharedArrayBuffer): copy such views first. Views of ordinary memory are untouched.
 */
function copySharedWrites(queue: GPUQueue): void {
  const proto = Object.getPrototypeOf(queue) as GPUQueue;
  if ((proto as unknown as { sharedWritesCopied?: boolean }).sharedWritesCopied) return;
  const write = proto.writeBuffer;
  proto.writeBuffer = function (
    this: GPUQueue,
    buffer: GPUBuffer,
    offset: number,
    data: BufferSource | SharedArrayBuffer,
    dataOffset?: number,
    size?: number,
  ) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const Ctor = data.constructor as new (source: ArrayLike<number> | ArrayLike<bigint>) => ArrayBufferView;
      data = new Ctor(data as unknown as ArrayLike<number>) as BufferSource;
    } else if (data instanceof SharedArrayBuffer) {
      data = new Uint8Array(data).slice().buffer;
    }
    return write.call(this, buffer, offset, data as BufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  (proto as unknown as { sharedWritesCopied?: boolean }).sharedWritesCopied = true;
}

/** onnxruntime-web with its WebGPU execution provider, on the adapter navigator.gpu gives (Dawn). */
export async function onnxWebGpuContestant(
  files: { lifter: string; denoiser: string },
  config: ModelConfig,
  gpu: GPU,
  device: GPUDevice | undefined,
  adapterName: string,
): Promise<Contestant | Skipped> {
  const name = 'onnxruntime-web WebGPU';
  if (!device) return { name, skipped: 'no WebGPU adapter' };
  let ort: OrtModule;
  try {
    ort = (await import('onnxruntime-web/webgpu')) as unknown as OrtModule;
  } catch (e) {
    return { name, skipped: `onnxruntime-web is not installed (${(e as Error).message.split('\n')[0]})` };
  }
  const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  copySharedWrites(device.queue);
  // The wasm part runs single-threaded: Node has no cross-origin isolation to give it workers here.
  ort.env.wasm.numThreads = 1;
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  const { readFileSync } = await import('node:fs');
  // onnxruntime-web creates WebGPU sessions one at a time.
  const lifter = await ort.InferenceSession.create(readFileSync(files.lifter), options);
  const denoiser = await ort.InferenceSession.create(readFileSync(files.denoiser), options);
  return new OnnxContestant(
    name,
    adapterName,
    ort.env.versions.web ?? ort.env.versions.common,
    ort,
    lifter,
    denoiser,
    config,
  );
}
