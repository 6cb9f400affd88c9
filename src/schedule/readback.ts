import type { Aggregated } from '../model/aggregate.js';
import { NUM_JOINTS } from '../pose/skeleton.js';

const J = NUM_JOINTS;

/** Output buffers of a plan: mean [poses, 17, 3], spread [poses, 17], samples [items, 17, 3]. */
export interface OutputBuffers {
  mean: GPUBuffer;
  spread: GPUBuffer;
  samples: GPUBuffer;
}

/** Records the copies of one chunk's outputs into `staging`; returns the bytes to map. */
export function recordReadback(
  encoder: GPUCommandEncoder,
  out: OutputBuffers,
  staging: GPUBuffer,
  poses: number,
  hypotheses: number,
  samples: boolean,
): number {
  const meanBytes = poses * J * 3 * 4,
    spreadBytes = poses * J * 4,
    samplesBytes = samples ? poses * hypotheses * J * 3 * 4 : 0;
  encoder.copyBufferToBuffer(out.mean, 0, staging, 0, meanBytes);
  encoder.copyBufferToBuffer(out.spread, 0, staging, meanBytes, spreadBytes);
  if (samplesBytes) encoder.copyBufferToBuffer(out.samples, 0, staging, meanBytes + spreadBytes, samplesBytes);
  return meanBytes + spreadBytes + samplesBytes;
}

/** Maps the staging buffer after the submit and copies the chunk into the call's result. */
export async function finishReadback(
  staging: GPUBuffer,
  bytes: number,
  result: Aggregated,
  start: number,
  poses: number,
  hypotheses: number,
): Promise<void> {
  await staging.mapAsync(GPUMapMode.READ, 0, bytes);
  // Unmapped whatever happens, so that a failed call leaves the buffer ready for the next.
  try {
    const data = new Float32Array(staging.getMappedRange(0, bytes));
    result.mean.set(data.subarray(0, poses * J * 3), start * J * 3);
    result.spread.set(data.subarray(poses * J * 3, poses * J * 4), start * J);
    if (result.samples.length) result.samples.set(data.subarray(poses * J * 4), start * hypotheses * J * 3);
  } finally {
    staging.unmap();
  }
}

export function emptyResult(poses: number, hypotheses: number, samples: boolean): Aggregated {
  return {
    mean: new Float32Array(poses * J * 3),
    spread: new Float32Array(poses * J),
    samples: new Float32Array(samples ? poses * hypotheses * J * 3 : 0),
  };
}

export function stagingBuffer(device: GPUDevice, items: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: items * J * 4 * 4 + items * J * 3 * 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
}
