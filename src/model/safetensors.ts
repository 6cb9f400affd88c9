import { WeightsError } from '../errors.js';

/** One tensor of a safetensors file, widened to f32. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2 };
const MAX_HEADER = 64 * 1024 * 1024;

/** An IEEE binary16 bit pattern to its value. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Parses and validates a safetensors file completely before anything uses it: header length,
 * JSON, dtypes (F32, F16 widened), shapes, offsets inside the data section, no overlaps, no
 * non-finite values. Every error names the tensor or field at fault.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) throw new WeightsError(`weights file is truncated: ${bytes.byteLength} bytes, a safetensors header needs at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.byteLength) {
    throw new WeightsError(`weights file header length ${headerLen} does not fit in the file (${bytes.byteLength} bytes): truncated or not a safetensors file`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new WeightsError(`weights file header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new WeightsError('weights file header must be a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const spans: Array<{ name: string; begin: number; end: number }> = [];
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw new WeightsError('"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new WeightsError(`"__metadata__.${k}" must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new WeightsError(`tensor "${name}": entry must be an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) throw new WeightsError(`tensor "${name}": dtype ${JSON.stringify(e.dtype)} is not supported (F32 or F16)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new WeightsError(`tensor "${name}": shape must be an array of non-negative integers`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new WeightsError(`tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const shape = e.shape as number[];
    const numel = shape.reduce((a, b) => a * b, 1);
    const size = BYTES[e.dtype];
    if (off[1] - off[0] !== numel * size) throw new WeightsError(`tensor "${name}": data_offsets span ${off[1] - off[0]} bytes but shape [${shape}] of ${e.dtype} needs ${numel * size}`);
    if (off[1] > dataLen) throw new WeightsError(`tensor "${name}": data ends at byte ${off[1]} but the data section has ${dataLen} bytes (file truncated?)`);
    spans.push({ name, begin: off[0], end: off[1] });
    const data = new Float32Array(numel);
    const at = dataStart + off[0];
    for (let i = 0; i < numel; i++) {
      data[i] = size === 4 ? view.getFloat32(at + 4 * i, true) : halfToFloat(view.getUint16(at + 2 * i, true));
    }
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new WeightsError(`tensor "${name}": element ${bad} is ${data[bad]} (weights must be finite)`);
    tensors.set(name, { shape, data });
  }
  spans.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].begin < spans[i - 1].end && spans[i].end > spans[i].begin) {
      throw new WeightsError(`tensors "${spans[i - 1].name}" and "${spans[i].name}" overlap in the data section`);
    }
  }
  return { metadata, tensors };
}

/** Writes a safetensors file (F32 only), header padded to 8 bytes; used by tests and tools. */
export function writeSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = JSON.stringify(header);
  const pad = (8 - (new TextEncoder().encode(json).length % 8)) % 8;
  const headerBytes = new TextEncoder().encode(json + ' '.repeat(pad));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.length * 4;
  }
  return out;
}
