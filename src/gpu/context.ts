import { GpuError, NoAdapterError } from '../errors.js';
import { installNodeGlobals, nodeGpu } from './node-gpu.js';

/** What the kernels may use on this device: the limits actually granted, never assumed. */
export interface DeviceCaps {
  maxInvocationsPerWorkgroup: number;
  maxWorkgroupStorageBytes: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxWorkgroupsPerDimension: number;
  maxStorageBuffersPerStage: number;
  timestampQuery: boolean;
  /**
   * Lanes per subgroup when the device has `subgroups` and the adapter names one size (its
   * minimum and maximum agree); undefined otherwise.
   */
  subgroupSize: number | undefined;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

/** A device the engine runs on: adopted from the caller, or created (and then owned) here. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly caps: DeviceCaps;
  readonly adapter: AdapterDescription;
  /** True when the engine created the device and so must destroy it. */
  readonly owned: boolean;
  /** Holds the Dawn instance strongly (see node-gpu.ts); undefined in browsers. */
  readonly keepAlive: unknown;
  /** Set once the device is lost; every later GPU call fails with this error. */
  lost?: GpuError;
}

export interface AcquireOptions {
  /** A caller's device: adopted, never destroyed by the engine. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
}

type SubgroupInfo = { subgroupMinSize?: number; subgroupMaxSize?: number };

function capsOf(limits: GPUSupportedLimits, features: ReadonlySet<string>, info: SubgroupInfo | undefined): DeviceCaps {
  const min = info?.subgroupMinSize,
    max = info?.subgroupMaxSize;
  return {
    maxInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    maxWorkgroupStorageBytes: limits.maxComputeWorkgroupStorageSize,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerStage: limits.maxStorageBuffersPerShaderStage,
    timestampQuery: features.has('timestamp-query'),
    subgroupSize: features.has('subgroups') && min !== undefined && min > 0 && min === max ? min : undefined,
  };
}

function describe(info: GPUAdapterInfo | undefined, adapter: GPUAdapter | undefined): AdapterDescription {
  const fallback =
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
    (adapter as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
    false;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: fallback,
  };
}

/** The limits the engine asks for: what it can use, capped by what the adapter offers. */
function wantedLimits(limits: GPUSupportedLimits): Record<string, number> {
  return {
    maxComputeInvocationsPerWorkgroup: Math.min(1024, limits.maxComputeInvocationsPerWorkgroup),
    maxComputeWorkgroupSizeX: Math.min(1024, limits.maxComputeWorkgroupSizeX),
    maxComputeWorkgroupStorageSize: Math.min(32768, limits.maxComputeWorkgroupStorageSize),
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxStorageBuffersPerShaderStage: Math.min(10, limits.maxStorageBuffersPerShaderStage),
  };
}

function watchLoss(ctx: GpuContext): void {
  void ctx.device.lost.then((info) => {
    ctx.lost = new GpuError('GPU_LOST', `GPU device lost (${info.reason}): ${info.message}`);
  });
}

export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  if (options.device) {
    const device = options.device;
    const adapterInfo = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    await installNodeGlobals();
    const ctx: GpuContext = {
      device,
      owned: false,
      keepAlive: undefined,
      caps: capsOf(device.limits, device.features as ReadonlySet<string>, adapterInfo),
      adapter: describe(adapterInfo, undefined),
    };
    watchLoss(ctx);
    return ctx;
  }
  const browserGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  const gpu = browserGpu ?? (await nodeGpu());
  if (!gpu) {
    throw new NoAdapterError(
      'WebGPU is not available here (no navigator.gpu, and the `webgpu` package could not be loaded)',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
  if (!adapter) {
    throw new NoAdapterError(
      'No WebGPU adapter found. On Linux without a GPU install a software Vulkan driver Dawn accepts ' +
        '(Mesa >= 24 lavapipe: see the README section "A software adapter on a machine without a GPU").',
    );
  }
  const features: GPUFeatureName[] = [];
  for (const f of ['timestamp-query', 'subgroups'] as const)
    if (adapter.features.has(f as GPUFeatureName)) features.push(f as GPUFeatureName);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: 'diffpose device',
      requiredFeatures: features,
      requiredLimits: wantedLimits(adapter.limits),
    });
  } catch (e) {
    throw new NoAdapterError(`The WebGPU adapter refused to create a device: ${(e as Error).message}`, { cause: e });
  }
  const ctx: GpuContext = {
    device,
    owned: true,
    keepAlive: gpu,
    caps: capsOf(device.limits, device.features as ReadonlySet<string>, adapter.info as SubgroupInfo),
    adapter: describe(adapter.info, adapter),
  };
  watchLoss(ctx);
  return ctx;
}

/**
 * CPU drivers (lavapipe, SwiftShader, any fallback adapter): workgroups run as SIMD lanes on the
 * host's cores, which changes the kernels' best shapes and how to wait for them.
 */
export function isCpuAdapter(a: AdapterDescription): boolean {
  return a.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader/i.test(JSON.stringify(a));
}

/** Human-readable adapter name for logs and benchmark tables. */
export function adapterName(a: AdapterDescription): string {
  const parts = [a.vendor, a.architecture, a.device || a.description].filter((s) => s);
  return `${parts.join(' / ') || 'unknown adapter'}${a.isFallbackAdapter ? ' (fallback)' : ''}`;
}
