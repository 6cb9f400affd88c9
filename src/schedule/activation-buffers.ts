import type { ModelConfig } from '../model/config.js';
import { MAX_COMPONENTS } from '../pose/input.js';
import { NUM_JOINTS } from '../pose/skeleton.js';

/**
 * The scratch buffers of the per-op path, sized once for `maxBatch` pose-hypotheses (17 rows each)
 * and the wider of the two networks. Ping-pong pairs because WebGPU forbids a dispatch to read and
 * write the same buffer.
 */
export interface ActivationBuffers {
  /** Residual stream, ping and pong: [rows, d]. */
  hA: GPUBuffer;
  hB: GPUBuffer;
  /** LayerNorm output, attention output, first graph conv of a block: [rows, d]. */
  n: GPUBuffer;
  /** Graph-mixed copies (up to 3d) and the packed Q|K|V: [rows, 3d]. */
  mix: GPUBuffer;
  /** FFN hidden: [rows, 2d]. */
  f1: GPUBuffer;
  /** The lifter's input [poses, 17, coordsIn]: normalised 2D (and confidence; model/lifter-input.ts). */
  lifterInput: GPUBuffer;
  /** Packed mixture [poses, 17, K, 5]. */
  gmm: GPUBuffer;
  /**
   * Lifter output [poses, 17, coordsOut] and its root-centred xyz [poses, 17, 3], then (at
   * sigmaAt, an f32 index; 0: none) a 4-output lifter's sigma [poses, 17].
   */
  lifted: GPUBuffer;
  lifterXyz: GPUBuffer;
  sigmaAt: number;
  /** Diffusion state x_t and predicted noise: [rows, 5]. */
  state: GPUBuffer;
  eps: GPUBuffer;
  /** Outputs: mean [poses, 17, 3], spread [poses, 17], samples [batch, 17, 3]. */
  mean: GPUBuffer;
  spread: GPUBuffer;
  samples: GPUBuffer;
  all: GPUBuffer[];
}

export function createActivationBuffers(
  device: GPUDevice,
  config: ModelConfig,
  maxBatch: number,
  label: string,
): ActivationBuffers {
  const d = Math.max(config.lifter.hidden, config.denoiser.hidden);
  const rows = maxBatch * NUM_JOINTS;
  const all: GPUBuffer[] = [];
  const make = (name: string, floats: number, extra = 0): GPUBuffer => {
    const size = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
    if (size > device.limits.maxStorageBufferBindingSize) {
      throw new RangeError(
        `${name} needs ${size} bytes, over this device's storage binding limit ${device.limits.maxStorageBufferBindingSize}`,
      );
    }
    const b = device.createBuffer({ label: `${label}: ${name}`, size, usage: GPUBufferUsage.STORAGE | extra });
    all.push(b);
    return b;
  };
  const io = GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const sigma = config.lifter.coordsOut === 4;
  return {
    hA: make('residual A', rows * d),
    hB: make('residual B', rows * d),
    n: make('normed', rows * d),
    mix: make('graph mix / qkv', rows * 3 * d),
    f1: make('ffn hidden', rows * 2 * d),
    lifterInput: make('lifter input', rows * config.lifter.coordsIn, io),
    gmm: make('gmm', rows * MAX_COMPONENTS * 5, io),
    lifted: make('lifter output', rows * config.lifter.coordsOut),
    lifterXyz: make('lifter xyz', rows * (sigma ? 4 : 3), io),
    sigmaAt: sigma ? rows * 3 : 0,
    state: make('state', rows * 5, io),
    eps: make('eps', rows * 5, io),
    mean: make('mean', rows * 3, io),
    spread: make('spread', rows, io),
    samples: make('samples', rows * 3, io),
    all,
  };
}

/** The largest maxBatch whose buffers fit the device's storage binding limit. */
export function maxBatchForDevice(device: GPUDevice, config: ModelConfig): number {
  const d = Math.max(config.lifter.hidden, config.denoiser.hidden);
  const widest = Math.max(3 * d, MAX_COMPONENTS * 5) * 4 * NUM_JOINTS;
  return Math.floor(device.limits.maxStorageBufferBindingSize / widest);
}
