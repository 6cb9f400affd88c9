import { halfToFloat } from '../half.js';
import { CheckpointError } from './checkpoint-error.js';
import { PyObject } from './pickle-values.js';

/** Element types of PyTorch storages, by the name of their legacy storage class. */
export const STORAGE_DTYPES = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
  UntypedStorage: { dtype: 'uint8', bytes: 1 },
} as const;

export type StorageTypeName = keyof typeof STORAGE_DTYPES;
export type TorchDtype = (typeof STORAGE_DTYPES)[StorageTypeName]['dtype'];

/** `torch.FloatStorage` etc. as the pickle names them: only a marker carrying the element type. */
export class StorageType extends PyObject {
  constructor(readonly name: StorageTypeName) {
    super();
  }
  get dtype(): TorchDtype {
    return STORAGE_DTYPES[this.name].dtype;
  }
  get itemBytes(): number {
    return STORAGE_DTYPES[this.name].bytes;
  }
  describe(): string {
    return `torch.${this.name}`;
  }
}

/** One storage of the archive (`data/<key>`): its bytes are read only when a tensor needs them. */
export class TorchStorage extends PyObject {
  private cached?: Uint8Array;
  constructor(
    readonly type: StorageType,
    readonly key: string,
    readonly numel: number,
    private readonly load: () => Uint8Array,
  ) {
    super();
  }
  describe(): string {
    return `${this.type.name} "${this.key}"`;
  }
  bytes(): Uint8Array {
    if (!this.cached) {
      const b = this.load();
      const need = this.numel * this.type.itemBytes;
      if (b.byteLength !== need)
        throw new CheckpointError(
          `storage "${this.key}" has ${b.byteLength} bytes, but ${this.numel} elements of ${this.type.dtype} need ${need}`,
        );
      this.cached = b;
    }
    return this.cached;
  }
}

const FLOAT_READERS: Partial<Record<TorchDtype, (v: DataView, byteAt: number) => number>> = {
  float32: (v, at) => v.getFloat32(at, true),
  float64: (v, at) => v.getFloat64(at, true),
  float16: (v, at) => halfToFloat(v.getUint16(at, true)),
  // bfloat16 is the top half of a float32.
  bfloat16: (v, at) => new Float32Array(new Uint32Array([v.getUint16(at, true) << 16]).buffer)[0],
};

/**
 * A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view (offset, size, stride, in
 * elements) into a storage. The view is checked against the storage when it is built; the
 * values are copied out (contiguous, row-major) only on request.
 */
export class TorchTensor extends PyObject {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    super();
    if (shape.length !== stride.length)
      throw new CheckpointError(
        `tensor in storage "${storage.key}": size [${shape}] and stride [${stride}] differ in length`,
      );
    // Negative sizes could multiply to a positive element count, and sizes beyond 2^53 to an
    // inexact or NaN one (Infinity x 0), either slipping past the bounds below.
    const bad = (v: number) => !Number.isSafeInteger(v) || v < 0;
    if (shape.some(bad) || stride.some(bad) || bad(offset)) {
      throw new CheckpointError(
        `tensor in storage "${storage.key}": size [${shape}], stride [${stride}] and offset ${offset} must be non-negative integers below 2^53`,
      );
    }
    const numel = this.numel;
    if (!Number.isSafeInteger(numel))
      throw new CheckpointError(`tensor of size [${shape}] in storage "${storage.key}" has too many elements`);
    let last = offset;
    if (numel > 0)
      shape.forEach((n, i) => {
        last += (n - 1) * stride[i];
      });
    if (numel > 0 && (offset < 0 || last >= storage.numel || stride.some((s) => s < 0))) {
      throw new CheckpointError(
        `tensor of size [${shape}], stride [${stride}], offset ${offset} reaches outside its storage "${storage.key}" of ${storage.numel} elements`,
      );
    }
  }
  get dtype(): TorchDtype {
    return this.storage.type.dtype;
  }
  get numel(): number {
    return this.shape.includes(0) ? 0 : this.shape.reduce((a, b) => a * b, 1);
  }
  describe(): string {
    return `tensor ${this.dtype} [${this.shape}]`;
  }

  /** The values as float32, row-major; floating-point dtypes only (float64 is rounded). */
  toFloat32(): Float32Array {
    const read = FLOAT_READERS[this.dtype];
    if (!read)
      throw new CheckpointError(`a ${this.dtype} tensor [${this.shape}] where a floating-point tensor is expected`);
    const bytes = this.storage.bytes(); // checks the entry holds exactly the storage's declared elements
    // The copy is as large as the view: a view with more elements than its storage (stride 0,
    // overlapping strides: an expanded tensor, never a parameter) could turn a 1-element storage
    // into gigabytes. With this, nothing is allocated beyond the storage's real size.
    if (this.numel > this.storage.numel) {
      throw new CheckpointError(
        `a view of size [${this.shape}], stride [${this.stride}] has more elements than its storage "${this.storage.key}" (${this.storage.numel}): expanded tensors are not supported`,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const item = this.storage.type.itemBytes;
    const out = new Float32Array(this.numel);
    const rank = this.shape.length;
    const index = new Array<number>(rank).fill(0);
    let src = this.offset;
    for (let i = 0; i < out.length; i++) {
      out[i] = read(view, src * item);
      // Odometer over the shape, so any stride (transposed, sliced, expanded) is honoured.
      for (let d = rank - 1; d >= 0; d--) {
        index[d]++;
        src += this.stride[d];
        if (index[d] < this.shape[d]) break;
        src -= this.stride[d] * this.shape[d];
        index[d] = 0;
      }
    }
    return out;
  }
}
