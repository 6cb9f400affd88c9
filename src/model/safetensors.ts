import { WeightsError } from '../errors.js';
import { halfToFloat } from './half.js';
import { describeValue, printable, quote } from './printable.js';

/** One tensor of a safetensors file, widened to f32. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
  /** I32 tensors, read only when parseSafetensors was asked for them (prepared mocap ids). */
  ints: Map<string, { shape: number[]; data: Int32Array }>;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, I32: 4 };
const MAX_HEADER = 64 * 1024 * 1024;

/** Sets an own property even for keys like "__proto__" (plain assignment would change the prototype). */
function defineOwn(o: Record<string, string>, k: string, v: string): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * Parses and validates a safetensors file completely before anything uses it: header length,
 * JSON, dtypes (F32, F16 widened; I32 only with `ints`), shapes, offsets inside the data section, no overlaps, no
 * non-finite values. Every error names the tensor or field at fault.
 *
 * Hostile files: every length and offset is checked against the bytes actually present before
 * anything is allocated from it, so nothing allocated is larger than the file; messages quote
 * names with control characters escaped (one line); nothing recurses over the parsed JSON.
 */
export function parseSafetensors(bytes: Uint8Array, options: { ints?: boolean } = {}): SafetensorsFile {
  if (bytes.byteLength < 8)
    throw new WeightsError(
      `weights file is truncated: ${bytes.byteLength} bytes, a safetensors header needs at least 8`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.byteLength) {
    throw new WeightsError(
      `weights file header length ${view.getBigUint64(0, true)} does not fit in the file (${bytes.byteLength} bytes): truncated or not a safetensors file`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new WeightsError(`weights file header is not valid JSON: ${printable((e as Error).message)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new WeightsError('weights file header must be a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const spans: Array<{ name: string; begin: number; end: number }> = [];
  const tensors = new Map<string, Tensor>();
  const ints = new Map<string, { shape: number[]; data: Int32Array }>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    const q = quote(name);
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        throw new WeightsError('"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string')
          throw new WeightsError(`"__metadata__" entry ${quote(k)} must be a string, got ${describeValue(v)}`);
        defineOwn(metadata, k, v);
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new WeightsError(`tensor ${q}: entry must be an object`);
    if (typeof e.dtype !== 'string' || !Object.hasOwn(BYTES, e.dtype) || (e.dtype === 'I32' && !options.ints)) {
      throw new WeightsError(
        `tensor ${q}: dtype ${describeValue(e.dtype)} is not supported (F32 or F16${options.ints ? ' or I32' : ''})`,
      );
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new WeightsError(`tensor ${q}: shape must be an array of non-negative integers`);
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      off[1] < off[0]
    ) {
      throw new WeightsError(`tensor ${q}: data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const shape = e.shape as number[];
    const size = BYTES[e.dtype];
    if (off[1] > dataLen)
      throw new WeightsError(
        `tensor ${q}: data ends at byte ${off[1]} but the data section has ${dataLen} bytes (file truncated?)`,
      );
    // Only now, with the span known to lie inside the file, is the element count trusted: a
    // product that overflows (or is not exact beyond 2^53) cannot equal a span this small.
    const numel = shape.reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== numel * size)
      throw new WeightsError(
        `tensor ${q}: data_offsets span ${off[1] - off[0]} bytes but shape [${shape}] of ${e.dtype} needs ${numel * size}`,
      );
    spans.push({ name, begin: off[0], end: off[1] });
    const at = dataStart + off[0];
    if (e.dtype === 'I32') {
      ints.set(name, { shape, data: Int32Array.from({ length: numel }, (_, i) => view.getInt32(at + 4 * i, true)) });
      continue;
    }
    const data = new Float32Array(numel);
    for (let i = 0; i < numel; i++) {
      data[i] = size === 4 ? view.getFloat32(at + 4 * i, true) : halfToFloat(view.getUint16(at + 2 * i, true));
    }
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new WeightsError(`tensor ${q}: element ${bad} is ${data[bad]} (weights must be finite)`);
    tensors.set(name, { shape, data });
  }
  // Sorted by begin, a span overlaps an earlier one exactly when it begins before the furthest
  // end so far (comparing neighbours only would miss [0,64) / [0,0) / [16,32)). Empty spans overlap nothing.
  spans.sort((a, b) => a.begin - b.begin);
  let furthest: { name: string; end: number } | undefined;
  for (const s of spans) {
    if (s.end === s.begin) continue;
    if (furthest && s.begin < furthest.end)
      throw new WeightsError(`tensors ${quote(furthest.name)} and ${quote(s.name)} overlap in the data section`);
    if (!furthest || s.end > furthest.end) furthest = s;
  }
  return { metadata, tensors, ints };
}

/** A tensor to write; its dtype follows the array (F32 or I32). */
export interface WritableTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * Serialises tensors as a safetensors file: 8-byte little-endian header length, a JSON header
 * (`dtype`, `shape`, `data_offsets` per tensor, `__metadata__` as a string map when not empty)
 * padded with spaces to a multiple of 8 bytes (by UTF-8 length: metadata may hold non-ASCII
 * names) so the data section starts aligned, then each tensor's little-endian data back to back.
 */
export function serializeSafetensors(
  tensors: Map<string, WritableTensor> | Record<string, WritableTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('"__metadata__" is not a tensor name');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`tensor "${name}": shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    header[name] = {
      dtype: t.data instanceof Int32Array ? 'I32' : 'F32',
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  const encoder = new TextEncoder();
  const json = JSON.stringify(header);
  const pad = (8 - (encoder.encode(json).length % 8)) % 8;
  const headerBytes = encoder.encode(json + ' '.repeat(pad));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of entries) {
    for (let i = 0; i < t.data.length; i++, at += 4) {
      if (t.data instanceof Int32Array) view.setInt32(at, t.data[i], true);
      else view.setFloat32(at, t.data[i], true);
    }
  }
  return out;
}
