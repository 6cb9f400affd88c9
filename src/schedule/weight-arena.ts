import { InputError } from '../errors.js';
import { floatToHalf, HALF_MAX } from '../model/half.js';
import type { NetworkProgram } from '../model/network-program.js';

/**
 * All constant tensors of a plan (weights, graph matrices) in ONE storage buffer, each at an
 * offset aligned to the device's minStorageBufferOffsetAlignment: one upload at plan time instead
 * of ~200 small buffers. Collect every array with add(), upload(), then look ranges up with get().
 */
export class WeightArena {
  private readonly offsets = new Map<Float32Array, number>();
  private size = 0;
  private uploaded?: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
  ) {}

  add(data: Float32Array): void {
    if (this.uploaded) throw new Error('WeightArena: add() after upload()');
    if (this.offsets.has(data)) return;
    const align = this.device.limits.minStorageBufferOffsetAlignment;
    const offset = Math.ceil(this.size / align) * align;
    this.offsets.set(data, offset);
    this.size = offset + data.byteLength;
  }

  upload(): void {
    const buffer = this.device.createBuffer({
      label: this.label,
      size: Math.max(16, Math.ceil(this.size / 4) * 4),
      usage: GPUBufferUsage.STORAGE,
      mappedAtCreation: true,
    });
    const view = new Float32Array(buffer.getMappedRange());
    for (const [data, offset] of this.offsets) view.set(data, offset / 4);
    buffer.unmap();
    this.uploaded = buffer;
  }

  /**
   * The arena in f16 with the same element indices (element k at byte 2k), for the f16 fused
   * path: its op tables address elements, so they serve both copies.
   */
  halfCopy(label: string): GPUBuffer {
    const halves = new Uint16Array(Math.ceil(this.size / 8) * 2);
    for (const [data, offset] of this.offsets) {
      const at = offset / 4;
      for (let i = 0; i < data.length; i++) {
        if (!(Math.abs(data[i]) <= HALF_MAX))
          throw new InputError(`a weight (${data[i]}) is outside the f16 range (|w| <= ${HALF_MAX}): use the f32 path`);
        halves[at + i] = floatToHalf(data[i]);
      }
    }
    const buffer = this.device.createBuffer({
      label,
      size: Math.max(16, halves.byteLength),
      usage: GPUBufferUsage.STORAGE,
      mappedAtCreation: true,
    });
    new Uint16Array(buffer.getMappedRange()).set(halves);
    buffer.unmap();
    return buffer;
  }

  /** The range holding `data` (which must have been added before upload()). */
  get(data: Float32Array): GPUBufferBinding {
    const offset = this.offsets.get(data);
    if (!this.uploaded || offset === undefined)
      throw new Error('WeightArena: get() of an array that was not added and uploaded');
    return { buffer: this.uploaded, offset, size: Math.max(4, data.byteLength) };
  }

  get bytes(): number {
    return this.size;
  }

  /** The uploaded buffer (undefined before upload()). */
  get buffer(): GPUBuffer | undefined {
    return this.uploaded;
  }

  destroy(): void {
    this.uploaded?.destroy();
  }
}

/** Adds every tensor of a network program (its ops' weights and matrices, its step embedding). */
export function addProgram(arena: WeightArena, program: NetworkProgram): void {
  for (const t of program.tensors) arena.add(t);
}
