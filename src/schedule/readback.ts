import type { SubmittedWork, SubmittedWorkWait } from '../gpu/submitted-work-wait.js';
import type { Aggregated } from '../model/aggregate.js';
import { NUM_JOINTS } from '../pose/skeleton.js';

const J = NUM_JOINTS;

/**
 * Output buffers of a plan: mean [poses, 17, 3], spread [poses, 17], samples [items, 17, 3], and
 * from the fused plans root [poses, 3] and radius90 [poses, 17]; a 4-output lifter's sigma
 * [poses, 17], at `offset` bytes in its buffer.
 */
export interface OutputBuffers {
  mean: GPUBuffer;
  spread: GPUBuffer;
  samples: GPUBuffer;
  root?: GPUBuffer;
  radius?: GPUBuffer;
  sigma?: { buffer: GPUBuffer; offset: number };
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
    samplesBytes = samples ? poses * hypotheses * J * 3 * 4 : 0,
    rootBytes = out.root ? poses * 3 * 4 : 0,
    radiusBytes = out.radius ? poses * J * 4 : 0;
  encoder.copyBufferToBuffer(out.mean, 0, staging, 0, meanBytes);
  encoder.copyBufferToBuffer(out.spread, 0, staging, meanBytes, spreadBytes);
  if (samplesBytes) encoder.copyBufferToBuffer(out.samples, 0, staging, meanBytes + spreadBytes, samplesBytes);
  if (rootBytes) encoder.copyBufferToBuffer(out.root!, 0, staging, meanBytes + spreadBytes + samplesBytes, rootBytes);
  const radiusAt = meanBytes + spreadBytes + samplesBytes + rootBytes;
  if (radiusBytes) encoder.copyBufferToBuffer(out.radius!, 0, staging, radiusAt, radiusBytes);
  const sigmaBytes = out.sigma ? poses * J * 4 : 0;
  if (sigmaBytes)
    encoder.copyBufferToBuffer(out.sigma!.buffer, out.sigma!.offset, staging, radiusAt + radiusBytes, sigmaBytes);
  return radiusAt + radiusBytes + sigmaBytes;
}

/**
 * Maps the staging buffer after the submit (through `wait`: `work` names the plan's work of this
 * size) and copies the chunk into the call's result.
 */
export async function finishReadback(
  wait: SubmittedWorkWait,
  work: SubmittedWork,
  staging: GPUBuffer,
  bytes: number,
  result: Aggregated,
  start: number,
  poses: number,
  hypotheses: number,
): Promise<void> {
  await wait.mapRead(staging, bytes, work);
  // Unmapped whatever happens, so that a failed call leaves the buffer ready for the next.
  try {
    const data = new Float32Array(staging.getMappedRange(0, bytes));
    result.mean.set(data.subarray(0, poses * J * 3), start * J * 3);
    result.spread.set(data.subarray(poses * J * 3, poses * J * 4), start * J);
    const samplesEnd = poses * J * 4 + (result.samples.length ? poses * hypotheses * J * 3 : 0);
    if (result.samples.length) result.samples.set(data.subarray(poses * J * 4, samplesEnd), start * hypotheses * J * 3);
    const rootEnd = samplesEnd + (result.root ? poses * 3 : 0);
    if (result.root) {
      // The kernel writes (0, 0, 0) where no root is in front of the camera (WGSL may assume no NaN).
      const root = data.subarray(samplesEnd, rootEnd);
      for (let i = 0; i < poses; i++) {
        const none = !(root[3 * i + 2] > 0);
        for (let c = 0; c < 3; c++) result.root[(start + i) * 3 + c] = none ? NaN : root[3 * i + c];
      }
    }
    const radiusEnd = rootEnd + (result.radius90 ? poses * J : 0);
    if (result.radius90) result.radius90.set(data.subarray(rootEnd, radiusEnd), start * J);
    if (result.sigma) result.sigma.set(data.subarray(radiusEnd, radiusEnd + poses * J), start * J);
  } finally {
    staging.unmap();
  }
}

export function emptyResult(
  poses: number,
  hypotheses: number,
  samples: boolean,
  root = false,
  radius90 = false,
  sigma = false,
): Aggregated {
  return {
    mean: new Float32Array(poses * J * 3),
    spread: new Float32Array(poses * J),
    samples: new Float32Array(samples ? poses * hypotheses * J * 3 : 0),
    root: root ? new Float32Array(poses * 3) : undefined,
    radius90: radius90 ? new Float32Array(poses * J) : undefined,
    sigma: sigma ? new Float32Array(poses * J) : undefined,
  };
}

export function stagingBuffer(device: GPUDevice, items: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    // mean, spread, samples (items = pose-hypotheses), root, radius90, sigma.
    size: items * J * 4 * 4 + items * J * 3 * 4 + items * 3 * 4 + 2 * items * J * 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
}
