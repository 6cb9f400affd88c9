// Runs one kernel dispatch on the test device the way a plan does (pipeline from the cache,
// params written once, bind group made once, run slot written per call), inside a validation
// error scope, and destroys every buffer it made.
import type { GpuContext } from '../../src/gpu/context.js';
import {
  bindKernel,
  createParamsBuffer,
  getKernelPipeline,
  recordKernel,
  type BoundKernel,
  type KernelDescriptor,
  type KernelPipeline,
} from '../../src/kernels/kernel.js';
import { createRunBuffer, writeRun, type RunBuffer, type RunValues } from '../../src/kernels/run.js';
import { expectNoGpuErrors } from '../helpers/gpu.js';

type Data = Float32Array | Uint32Array;

export interface KernelCase<P> {
  desc: KernelDescriptor<P>;
  params: P;
  /** Read-only inputs by WGSL binding name (storage, or uniform where the descriptor says so). */
  inputs: Record<string, Data>;
  /** Outputs by WGSL binding name: a length (zero-filled) or initial contents (in-place kernels). */
  outputs: Record<string, number | Data>;
  /** One entry per call: each call writes the run slot and dispatches with the same bind group. */
  calls: RunValues[];
  /** Per call, writes into the named buffers (at a float offset) before it: a stream's next frame. */
  writes?: Array<Array<{ name: string; at: number; data: Data }>>;
  workgroupSize?: number;
  /** Forces 2D grids on small problems. */
  maxWorkgroupsPerDimension?: number;
}

/** Run values for network kernels: `batch` items, one pose each. */
export function batchRun(batch: number): RunValues {
  return { batch, poses: batch, hypotheses: 1, poseOffset: 0, key: [0, 0] };
}

function byteSize(n: number): number {
  return Math.max(16, Math.ceil((n * 4) / 16) * 16);
}

function dataBuffer(gpu: GpuContext, label: string, data: Data, usage: number): GPUBuffer {
  const buffer = gpu.device.createBuffer({ label, size: byteSize(data.length), usage, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** Reads `length` floats of `buffer` back (the caller submits nothing else in between). */
export async function readBack(gpu: GpuContext, buffer: GPUBuffer, length: number): Promise<Float32Array> {
  const { device } = gpu;
  const staging = device.createBuffer({
    label: `${buffer.label}: readback`,
    size: byteSize(length),
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const encoder = device.createCommandEncoder({ label: 'test: readback' });
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, byteSize(length));
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange(0, byteSize(length)).slice(0, length * 4));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Records and submits one call: write the run slot, one pass, one dispatch. */
export function submitCall<P>(
  gpu: GpuContext,
  bound: BoundKernel<P>,
  run: RunBuffer,
  values: RunValues,
  maxWorkgroupsPerDimension?: number,
): void {
  writeRun(gpu.device.queue, run, 0, values);
  const encoder = gpu.device.createCommandEncoder({ label: `test: ${bound.kernel.descriptor.name}` });
  const pass = encoder.beginComputePass({ label: `test: ${bound.kernel.descriptor.name} pass` });
  recordKernel(pass, bound, run, 0, { maxWorkgroupsPerDimension });
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
}

/** Runs the case's calls in order and returns every output after the last call. */
export async function runKernel<P>(gpu: GpuContext, c: KernelCase<P>): Promise<Record<string, Float32Array>> {
  const { device } = gpu;
  return expectNoGpuErrors(gpu, async () => {
    const kernel: KernelPipeline<P> = await getKernelPipeline(gpu, c.desc, { workgroupSize: c.workgroupSize });
    const made: GPUBuffer[] = [];
    const lengths: Record<string, number> = {};
    const resources: Record<string, GPUBuffer> = {};
    try {
      if (c.desc.params.length > 0) {
        resources.params = createParamsBuffer(device, c.desc, c.params, `test ${c.desc.name}: params`);
        made.push(resources.params);
      }
      for (const [name, data] of Object.entries(c.inputs)) {
        const uniform = c.desc.bindings.some((b) => b.name === name && b.kind === 'uniform');
        const usage = uniform ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE;
        resources[name] = dataBuffer(gpu, `test ${c.desc.name}: ${name}`, data, usage | GPUBufferUsage.COPY_DST);
        made.push(resources[name]);
      }
      for (const [name, spec] of Object.entries(c.outputs)) {
        const data = typeof spec === 'number' ? new Float32Array(spec) : spec;
        lengths[name] = data.length;
        resources[name] = dataBuffer(
          gpu,
          `test ${c.desc.name}: ${name}`,
          data,
          GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        );
        made.push(resources[name]);
      }
      const run = createRunBuffer(device, 1, `test ${c.desc.name}: run`);
      made.push(run.buffer);
      const bound = bindKernel(kernel, c.params, resources, `test ${c.desc.name}: bind group`);
      c.calls.forEach((values, i) => {
        for (const w of c.writes?.[i] ?? [])
          device.queue.writeBuffer(resources[w.name], w.at * 4, w.data as Float32Array<ArrayBuffer>);
        submitCall(gpu, bound, run, values, c.maxWorkgroupsPerDimension);
      });
      const out: Record<string, Float32Array> = {};
      for (const name of Object.keys(c.outputs)) out[name] = await readBack(gpu, resources[name], lengths[name]);
      return out;
    } finally {
      for (const b of made) b.destroy();
    }
  });
}
