/**
 * Kernel descriptors and their per-device pipelines.
 *
 * A kernel is a WGSL file under shaders/ (plus the shaders/lib files it is concatenated with),
 * a CPU reference (src/model/) and a descriptor (here): bindings, the uniform parameter struct,
 * override constants, workgroup size and dispatch size. Life cycle:
 *   plan time  getKernelPipeline (cached per device) -> createParamsBuffer / packParams
 *              -> bindKernel (one bind group per use of the kernel in the plan)
 *   per call   writeRun (batch, poses, RNG offset and key into a run slot)
 *              -> recordKernel for each dispatch, many in one compute pass, one submit.
 * Every pipeline layout is [the kernel's group 0, the shared run group 1] (see run.ts).
 */
import { GpuError, InputError } from '../errors.js';
import { compileShader } from '../gpu/errors-scope.js';
import type { GpuContext } from '../gpu/context.js';
import { WGSL } from '../generated/shaders.js';
import { RUN_SLOT_BYTES, runBindGroupLayout, type RunBuffer, type RunValues } from './run.js';
import { wgslPrelude } from './wgsl-constants.js';

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

/** One buffer of group 0; `name` is the WGSL variable's name. */
export interface BindingSpec {
  binding: number;
  name: string;
  kind: BindingKind;
  /**
   * May be left out of bindKernel's resources; a placeholder buffer is bound instead. Only for
   * inputs the kernel does not read when its parameters say so (e.g. linear's residual).
   */
  optional?: boolean;
}

/** A field of the WGSL `params` uniform struct; all are 4-byte scalars, in declaration order. */
export interface ParamField {
  name: string;
  type: 'u32' | 'f32';
}

/** The static description of a kernel. `P` is its plan-time parameters (shapes, flags, coefficients). */
export interface KernelDescriptor<P> {
  /** Cache key and label prefix; unique among kernels. */
  name: string;
  /** The kernel file, relative to shaders/ (for a kernel with `source`, just its name). */
  shader: string;
  /**
   * The kernel file's text, for test- and benchmark-only kernels that stay out of the shipped
   * shader bundle (src/generated/shaders.ts); their libs still come from the bundle.
   */
  source?: string;
  /** shaders/lib files concatenated before it (WGSL declarations are order-independent). */
  libs: readonly string[];
  entryPoint: string;
  /** Group 0; when `params` is not empty, it includes the uniform named 'params'. */
  bindings: readonly BindingSpec[];
  /** Fields of the WGSL `params` struct, bound as the uniform named 'params'; empty for none. */
  params: readonly ParamField[];
  /** Size of a params uniform the kernel packs itself (the fused kernels' tables); else from `params`. */
  paramsBytes?: number;
  /** The value of every params field for `p`; throws InputError when `p` is invalid for the kernel. */
  paramValues(p: P): Readonly<Record<string, number>>;
  /** The default of the WG_SIZE override: at most 256 (the WebGPU default limit). */
  workgroupSize: number;
  /** Other override constants. */
  overrides?: Readonly<Record<string, number>>;
  /** Invocations one dispatch needs; the kernel bounds-checks the same count from `run`. */
  invocations(p: P, run: Readonly<RunValues>): number;
}

/** A descriptor compiled for one device. */
export interface KernelPipeline<P> {
  readonly descriptor: KernelDescriptor<P>;
  readonly device: GPUDevice;
  readonly bindGroupLayout: GPUBindGroupLayout;
  readonly pipelineLayout: GPUPipelineLayout;
  readonly pipeline: GPUComputePipeline;
  readonly workgroupSize: number;
  readonly maxWorkgroupsPerDimension: number;
}

/** One use of a kernel in a plan: its parameters and its group-0 bind group, made once. */
export interface BoundKernel<P> {
  readonly kernel: KernelPipeline<P>;
  readonly params: P;
  readonly bindGroup: GPUBindGroup;
}

export type BufferResource = GPUBuffer | GPUBufferBinding;

export interface PipelineOptions {
  /** WG_SIZE for this pipeline (default: the descriptor's); checked against the device's limits. */
  workgroupSize?: number;
}

// ---- source ------------------------------------------------------------------------------

/**
 * The WGSL of a kernel: the generated prelude of shared constants (wgsl-constants.ts), its libs,
 * then its own file, each headed by its path. Directives (`enable f16;`) must precede every
 * declaration, so they are lifted out of the files to the top.
 */
export function kernelSource(desc: Pick<KernelDescriptor<unknown>, 'shader' | 'libs' | 'source'>): string {
  const files = [...new Set([...desc.libs, desc.shader])];
  const directives = new Set<string>();
  const body = files
    .map((path) => {
      const text = path === desc.shader && desc.source !== undefined ? desc.source : WGSL[path];
      if (text === undefined)
        throw new Error(`shader file "${path}" is not embedded: run node scripts/embed-shaders.mjs`);
      const code = text.replace(/^[ \t]*enable[ \t]+[\w, \t]+;[ \t]*$/gm, (line) => {
        directives.add(line.trim());
        return '';
      });
      return `// ---- ${path} ----\n${code}`;
    })
    .join('\n');
  const source = `${wgslPrelude()}${body}`;
  return directives.size ? `${[...directives].join('\n')}\n${source}` : source;
}

// ---- parameters --------------------------------------------------------------------------

/** Bytes of the params uniform: 4 per field, rounded up to 16. */
export function paramsByteSize(desc: KernelDescriptor<unknown>): number {
  return desc.paramsBytes ?? Math.max(16, Math.ceil(desc.params.length / 4) * 16);
}

/** The params uniform's bytes for `p`, for createParamsBuffer or a caller's own parameter arena. */
export function packParams<P>(desc: KernelDescriptor<P>, p: P): ArrayBuffer {
  const values = desc.paramValues(p);
  const bytes = new ArrayBuffer(paramsByteSize(desc));
  const view = new DataView(bytes);
  desc.params.forEach((field, i) => {
    const v = values[field.name];
    if (typeof v !== 'number' || Number.isNaN(v))
      throw new Error(`${desc.name}: no value for parameter "${field.name}"`);
    if (field.type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
        throw new InputError(`${desc.name}: parameter "${field.name}" must be a u32, got ${v}`);
      view.setUint32(i * 4, v, true);
    } else {
      view.setFloat32(i * 4, v, true);
    }
  });
  return bytes;
}

/** A uniform buffer holding `p`, written once (mapped at creation). */
export function createParamsBuffer<P>(
  device: GPUDevice,
  desc: KernelDescriptor<P>,
  p: P,
  label = `${desc.name}: params`,
): GPUBuffer {
  const bytes = packParams(desc, p);
  const buffer = device.createBuffer({
    label,
    size: bytes.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(bytes));
  buffer.unmap();
  return buffer;
}

// ---- per-device caches -------------------------------------------------------------------

interface DeviceCache {
  layouts: Map<string, GPUBindGroupLayout>;
  modules: Map<string, Promise<GPUShaderModule>>;
  pipelines: Map<string, Promise<KernelPipeline<unknown>>>;
  placeholder?: GPUBuffer;
}

// Keyed by device so that a destroyed or lost device takes its objects with it.
const caches = new WeakMap<GPUDevice, DeviceCache>();

function cacheOf(device: GPUDevice): DeviceCache {
  let cache = caches.get(device);
  if (!cache) {
    cache = { layouts: new Map(), modules: new Map(), pipelines: new Map() };
    caches.set(device, cache);
  }
  return cache;
}

/** The explicit group-0 layout of a descriptor (one object per device and kernel). */
export function kernelBindGroupLayout(device: GPUDevice, desc: KernelDescriptor<unknown>): GPUBindGroupLayout {
  const cache = cacheOf(device);
  let layout = cache.layouts.get(desc.name);
  if (!layout) {
    layout = device.createBindGroupLayout({
      label: `${desc.name}: bind group layout`,
      entries: desc.bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        // The params struct's size lets WebGPU reject a too-small params buffer at bind time.
        buffer: b.name === 'params' ? { type: b.kind, minBindingSize: paramsByteSize(desc) } : { type: b.kind },
      })),
    });
    cache.layouts.set(desc.name, layout);
  }
  return layout;
}

function shaderModule(gpu: GpuContext, desc: KernelDescriptor<unknown>): Promise<GPUShaderModule> {
  const cache = cacheOf(gpu.device);
  const key = `${desc.shader}|${desc.libs.join(',')}`;
  let module = cache.modules.get(key);
  if (!module) {
    module = compileShader(gpu, `${desc.name}: shader`, kernelSource(desc));
    module.catch(() => cache.modules.delete(key));
    cache.modules.set(key, module);
  }
  return module;
}

/**
 * The kernel's pipeline on this device: compiled once (createComputePipelineAsync, after
 * compileShader for line/column errors), then shared by every caller with the same options.
 */
export function getKernelPipeline<P>(
  gpu: GpuContext,
  desc: KernelDescriptor<P>,
  options: PipelineOptions = {},
): Promise<KernelPipeline<P>> {
  const { device } = gpu;
  const workgroupSize = options.workgroupSize ?? desc.workgroupSize;
  const limit = Math.min(device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX);
  if (!Number.isInteger(workgroupSize) || workgroupSize < 1 || workgroupSize > limit) {
    return Promise.reject(
      new InputError(`${desc.name}: workgroup size ${workgroupSize} is outside [1, ${limit}] on this device`),
    );
  }
  const constants: Record<string, number> = { ...desc.overrides, WG_SIZE: workgroupSize };
  const key = `${desc.name}|${JSON.stringify(constants)}`;
  const cache = cacheOf(device);
  let entry = cache.pipelines.get(key);
  if (!entry) {
    entry = (async (): Promise<KernelPipeline<unknown>> => {
      const module = await shaderModule(gpu, desc as KernelDescriptor<unknown>);
      const bindGroupLayout = kernelBindGroupLayout(device, desc as KernelDescriptor<unknown>);
      const pipelineLayout = device.createPipelineLayout({
        label: `${desc.name}: pipeline layout`,
        bindGroupLayouts: [bindGroupLayout, runBindGroupLayout(device)],
      });
      let pipeline: GPUComputePipeline;
      try {
        pipeline = await device.createComputePipelineAsync({
          label: `${desc.name}: pipeline (WG_SIZE ${workgroupSize})`,
          layout: pipelineLayout,
          compute: { module, entryPoint: desc.entryPoint, constants },
        });
      } catch (e) {
        throw new GpuError('GPU_COMPILE', `${desc.name}: pipeline creation failed: ${(e as Error).message}`);
      }
      return {
        descriptor: desc as KernelDescriptor<unknown>,
        device,
        bindGroupLayout,
        pipelineLayout,
        pipeline,
        workgroupSize,
        maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      };
    })();
    entry.catch(() => cache.pipelines.delete(key));
    cache.pipelines.set(key, entry);
  }
  return entry as Promise<KernelPipeline<P>>;
}

/** A 16-byte storage buffer bound for optional inputs that are left out (never read). */
function placeholderBuffer(device: GPUDevice): GPUBuffer {
  const cache = cacheOf(device);
  cache.placeholder ??= device.createBuffer({
    label: 'diffpose: placeholder for unused optional inputs',
    size: 16,
    usage: GPUBufferUsage.STORAGE,
  });
  return cache.placeholder;
}

// ---- binding and recording ---------------------------------------------------------------

/**
 * The bind group of one use of a kernel. `resources` maps WGSL binding names to buffers
 * (whole, or a range as GPUBufferBinding); it must name every binding except optional ones.
 * Note: an output must not also be bound as an input of the same dispatch (WebGPU usage rules).
 */
export function bindKernel<P>(
  kernel: KernelPipeline<P>,
  params: P,
  resources: Readonly<Record<string, BufferResource | undefined>>,
  label = `${kernel.descriptor.name}: bind group`,
): BoundKernel<P> {
  const desc = kernel.descriptor;
  for (const name of Object.keys(resources)) {
    if (resources[name] !== undefined && !desc.bindings.some((b) => b.name === name)) {
      throw new Error(
        `${desc.name}: unknown binding "${name}" (bindings: ${desc.bindings.map((b) => b.name).join(', ')})`,
      );
    }
  }
  desc.paramValues(params); // validates the parameters before anything is recorded
  const entries = desc.bindings.map((b): GPUBindGroupEntry => {
    const r = resources[b.name];
    if (r === undefined) {
      if (!b.optional) throw new Error(`${desc.name}: binding "${b.name}" is required`);
      return { binding: b.binding, resource: { buffer: placeholderBuffer(kernel.device) } };
    }
    return { binding: b.binding, resource: 'buffer' in r ? r : { buffer: r } };
  });
  const bindGroup = kernel.device.createBindGroup({ label, layout: kernel.bindGroupLayout, entries });
  return { kernel, params, bindGroup };
}

/**
 * Workgroup counts for `invocations` 1D work items: along x while it fits, else spread over y
 * (the kernels flatten (x, y) back with invocation_index in lib/dispatch.wgsl).
 */
export function workgroupGrid(invocations: number, workgroupSize: number, maxPerDimension: number): [number, number] {
  const groups = Math.ceil(invocations / workgroupSize);
  if (groups <= maxPerDimension) return [groups, 1];
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension) throw new InputError(`${invocations} invocations exceed the device's dispatch limits`);
  return [Math.ceil(groups / y), y];
}

export interface RecordOptions {
  /** Caps workgroups per dimension below the device's limit (tests use it to force 2D grids). */
  maxWorkgroupsPerDimension?: number;
}

/**
 * Records one dispatch of `bound` into an open compute pass, for the values last written to run
 * slot `slot` (its dispatch size comes from those values and the kernel's parameters). Returns
 * the workgroups dispatched.
 */
export function recordKernel<P>(
  pass: GPUComputePassEncoder,
  bound: BoundKernel<P>,
  run: RunBuffer,
  slot: number,
  options: RecordOptions = {},
): number {
  const values = run.slots[slot];
  if (!values) throw new InputError(`run slot ${slot} was never written (writeRun before recording)`);
  const { kernel } = bound;
  const maxPerDim = Math.min(options.maxWorkgroupsPerDimension ?? Infinity, kernel.maxWorkgroupsPerDimension);
  const [x, y] = workgroupGrid(kernel.descriptor.invocations(bound.params, values), kernel.workgroupSize, maxPerDim);
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(0, bound.bindGroup);
  pass.setBindGroup(1, run.bindGroup, [slot * RUN_SLOT_BYTES]);
  if (x > 0) pass.dispatchWorkgroups(x, y);
  return x * y;
}
