import { readFileSync } from 'node:fs';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from '../../src/kernels/kernel.js';
import { LIB } from '../../src/kernels/libs.js';

export type PhiloxTestParams = Record<string, never>;

/**
 * Test-only: Philox blocks, unit_open0 and normals4 of run.batch counters under run.key, to
 * compare shaders/lib/philox.wgsl with src/model/philox.ts bit for bit.
 */
export const PHILOX_TEST: KernelDescriptor<PhiloxTestParams> = {
  name: 'philox_test',
  shader: 'philox-test.wgsl',
  // Test-only: not in the shipped shader bundle.
  source: readFileSync(new URL('./philox-test.wgsl', import.meta.url), 'utf8'),
  libs: [LIB.dispatch, LIB.run, LIB.math, LIB.philox],
  entryPoint: 'philox_test',
  bindings: [
    { binding: 0, name: 'counters', kind: 'read-only-storage' },
    { binding: 1, name: 'bits', kind: 'storage' },
    { binding: 2, name: 'units', kind: 'storage' },
    { binding: 3, name: 'normals', kind: 'storage' },
  ],
  params: [],
  paramValues: () => ({}),
  workgroupSize: 64,
  invocations: (_p, run) => run.batch,
};

export interface PhiloxTestBuffers {
  /** [n] vec4<u32> counters */
  counters: BufferResource;
  /** [n] vec4<u32> Philox blocks */
  bits: BufferResource;
  /** [n] vec4<f32> unit_open0 of each word */
  units: BufferResource;
  /** [n] vec4<f32> normals4 of each block */
  normals: BufferResource;
}

export function bindPhiloxTest(
  kernel: KernelPipeline<PhiloxTestParams>,
  b: PhiloxTestBuffers,
  label?: string,
): BoundKernel<PhiloxTestParams> {
  return bindKernel(kernel, {}, { ...b }, label);
}
