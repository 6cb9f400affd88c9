import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { parseSafetensors } from '../model/safetensors.js';

/** An array read from a heatmap file: its shape and values (f32). */
export interface FileArray {
  shape: number[];
  data: Float32Array;
}

/** Heatmap files are read whole; 1 GiB holds 2,800 people of 17 maps of 128 x 128. */
const MAX_BYTES = 2 ** 30;

/**
 * A NumPy .npy file (format 1.0-3.0): little-endian float32 or float64, C order. Anything else
 * (pickled objects, Fortran order, other dtypes, a truncated body) is an InputError naming it.
 */
export function parseNpy(bytes: Uint8Array, name: string): FileArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new InputError(`${name} is not a .npy file`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLen;
  if (start > bytes.length) throw new InputError(`${name}: the .npy header is truncated`);
  const header = new TextDecoder().decode(bytes.subarray(major === 1 ? 10 : 12, start));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new InputError(`${name}: cannot read the .npy header`);
  if (fortran === 'True') throw new InputError(`${name}: Fortran-order arrays are not supported (save a C-order copy)`);
  const width = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (!width) throw new InputError(`${name}: dtype ${descr} is not supported (float32 or float64, little-endian)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new InputError(`${name}: bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (start + count * width > bytes.length)
    throw new InputError(`${name}: ${count} values of ${width} bytes do not fit in the file (truncated?)`);
  // Copied (a Node Buffer's slice is a view into a shared pool, and the values must be aligned).
  const body = new Uint8Array(count * width);
  body.set(bytes.subarray(start, start + count * width));
  const data = width === 4 ? new Float32Array(body.buffer) : Float32Array.from(new Float64Array(body.buffer));
  return { shape, data };
}

/** A .npy file (format 1.0, little-endian, C order) of float32 or float64 values: what parseNpy reads. */
export function encodeNpy(shape: number[], data: Float32Array | Float64Array): Uint8Array {
  let header = `{'descr': '${data instanceof Float32Array ? '<f4' : '<f8'}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // The data starts on a multiple of 64 bytes, the header ends with a newline (the format's rules).
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/**
 * Heatmaps [N, K, h, w] and optional boxes [N, 4] from a .npy file (the heatmaps; boxes from
 * `boxesPath`, another .npy) or a .safetensors file (tensors "heatmaps" and optionally "boxes").
 */
export async function readHeatmapFile(
  path: string,
  boxesPath: string | undefined,
): Promise<{ heatmaps: FileArray; boxes?: FileArray }> {
  const read = async (p: string) => {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(p);
    } catch (e) {
      throw new InputError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (bytes.length > MAX_BYTES) throw new InputError(`${p} is over 1 GiB: split the heatmaps into several files`);
    return bytes;
  };
  let heatmaps: FileArray, boxes: FileArray | undefined;
  if (/\.safetensors$/i.test(path)) {
    let file;
    try {
      file = parseSafetensors(await read(path));
    } catch (e) {
      throw new InputError(`${path}: ${(e as Error).message}`);
    }
    const h = file.tensors.get('heatmaps');
    if (!h) throw new InputError(`${path} has no tensor "heatmaps" [N, K, height, width]`);
    heatmaps = h;
    boxes = file.tensors.get('boxes');
  } else {
    heatmaps = parseNpy(await read(path), path);
  }
  if (boxesPath) boxes = parseNpy(await read(boxesPath), boxesPath);
  if (heatmaps.shape.length !== 4)
    throw new InputError(`${path}: heatmaps must be [N, K, height, width], got shape [${heatmaps.shape.join(', ')}]`);
  if (boxes && (boxes.shape.length !== 2 || boxes.shape[1] !== 4 || boxes.shape[0] !== heatmaps.shape[0]))
    throw new InputError(
      `boxes must be [N, 4] with N = ${heatmaps.shape[0]} (left, top, right, bottom), got [${boxes.shape.join(', ')}]`,
    );
  return { heatmaps, boxes };
}
