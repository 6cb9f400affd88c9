import { writeFileSync } from 'node:fs';

/** Tensors this writer can store, by their safetensors dtype. */
export type WritableTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array };

/**
 * Serialises tensors as a safetensors file: 8-byte little-endian header length, a JSON header
 * (`dtype`, `shape`, `data_offsets` per tensor, `__metadata__` as a string map) padded with
 * spaces to a multiple of 8 so the data section starts aligned, then the raw little-endian
 * data of each tensor back to back, in the order given (the format allows no gaps).
 */
export function serializeSafetensors(tensors: Record<string, WritableTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('"__metadata__" is not a tensor name');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor "${name}": shape [${t.shape}] holds ${count} values, data has ${t.data.length}`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad by UTF-8 byte length, not string length: metadata may hold non-ASCII names.
  const encoder = new TextEncoder();
  const jsonBytes = encoder.encode(json).length;
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = encoder.encode(json);

  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of entries) {
    for (let i = 0; i < t.data.length; i++, at += 4) {
      if (t.dtype === 'F32') view.setFloat32(at, t.data[i], true);
      else view.setInt32(at, t.data[i], true);
    }
  }
  return out;
}

export function writeSafetensors(path: string, tensors: Record<string, WritableTensor>, metadata: Record<string, string> = {}): void {
  writeFileSync(path, serializeSafetensors(tensors, metadata));
}
