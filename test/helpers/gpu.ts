import { acquireGpu, type GpuContext } from '../../src/gpu/context.js';
import { NoAdapterError } from '../../src/errors.js';

/**
 * One shared device for the GPU tests of a mocha process. With DIFFPOSE_REQUIRE_GPU=1 or CI=true
 * (.ci/run sets both) a missing adapter FAILS the test; otherwise the test is skipped and
 * mocha reports it as pending, never as passed.
 */
let shared: Promise<GpuContext | undefined> | undefined;

export function requireGpu(): boolean {
  return process.env.DIFFPOSE_REQUIRE_GPU === '1' || process.env.CI === 'true';
}

export async function testGpu(ctx: Mocha.Context): Promise<GpuContext> {
  shared ??= acquireGpu().catch((e: unknown) => {
    if (e instanceof NoAdapterError && !requireGpu()) return undefined;
    throw e;
  });
  const gpu = await shared;
  const expected = process.env.DIFFPOSE_EXPECT_ADAPTER;
  if (gpu && expected && !JSON.stringify(gpu.adapter).toLowerCase().includes(expected)) {
    throw new Error(`expected the ${expected} adapter, got ${JSON.stringify(gpu.adapter)}`);
  }
  if (!gpu) {
    ctx.skip();
    throw new Error('unreachable: skipped');
  }
  return gpu;
}

/** Runs `body` inside a validation scope and fails the test if the scope caught anything. */
export async function expectNoGpuErrors<T>(gpu: GpuContext, body: () => Promise<T>): Promise<T> {
  gpu.device.pushErrorScope('validation');
  const result = await body();
  const err = await gpu.device.popErrorScope();
  if (err) throw new Error(`GPU validation error: ${err.message}`);
  return result;
}

/** Copies `bytes` of `src` out through `encoder` (submitted here) and maps them: a caller's readback. */
export async function readBack(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  src: GPUBuffer,
  bytes: number,
): Promise<Float32Array> {
  const staging = device.createBuffer({
    label: 'test: caller readback',
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  encoder.copyBufferToBuffer(src, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}
