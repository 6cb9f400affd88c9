import { crc32, inflateRawSync } from 'node:zlib';
import { CheckpointError } from './checkpoint-error.js';

/**
 * A read-only ZIP reader for PyTorch checkpoints (torch.save since 1.6 writes a ZIP archive).
 * PyTorch stores its entries uncompressed and pads the local headers so that tensor data is
 * aligned; other tools that re-zip a checkpoint may deflate entries, so deflate is read too.
 * Everything is bounds-checked: a truncated or corrupt file gives a CheckpointError, never a
 * wrong tensor. Zip64 records are followed (PyTorch writes them for archives over 4 GiB).
 */

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /**
   * The entry's bytes (a view into the file for stored entries), CRC-checked. An entry whose
   * directory declares more than `maxBytes` (default MAX_ENTRY_BYTES) is refused unread; a
   * deflate stream is never inflated past its declared size.
   */
  read(name: string, maxBytes?: number): Uint8Array;
}

/** The most a deflated entry may inflate to unless the caller allows more (a real checkpoint's entries are far smaller). */
export const MAX_ENTRY_BYTES = 1 << 30;
/** Deflate's best ratio is 1032:1 (a 258-byte match in under 2 bits); a larger declared size is a lie. */
const DEFLATE_MAX_RATIO = 1032;

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

function u64(view: DataView, at: number, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(`ZIP ${what} ${v} is too large`);
  return Number(v);
}

/** Finds the end-of-central-directory record, which sits at the end, before an optional comment. */
function findEocd(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === EOCD_SIG && at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength)
      return at;
  }
  throw new CheckpointError(
    'not a ZIP archive, or a truncated one: no end-of-central-directory record at the end of the file',
  );
}

interface Directory {
  count: number;
  offset: number;
  size: number;
}

function readDirectoryLocation(view: DataView, eocd: number): Directory {
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIG)
      throw new CheckpointError('ZIP64 archive without its zip64 end-of-central-directory locator');
    const record = u64(view, locator + 8, 'zip64 record offset');
    if (record + 56 > view.byteLength || view.getUint32(record, true) !== ZIP64_EOCD_SIG)
      throw new CheckpointError('ZIP64 end-of-central-directory record is missing or truncated');
    count = u64(view, record + 32, 'entry count');
    size = u64(view, record + 40, 'central directory size');
    offset = u64(view, record + 48, 'central directory offset');
  }
  if (offset + size > view.byteLength)
    throw new CheckpointError(
      `ZIP central directory (bytes ${offset}..${offset + size}) lies beyond the end of the file (${view.byteLength} bytes): truncated`,
    );
  return { count, offset, size };
}

/** Applies a zip64 extended-information extra field (id 1) to the fields that were saturated. */
function applyZip64Extra(view: DataView, at: number, length: number, e: ZipEntry): void {
  const end = at + length;
  while (at + 4 <= end) {
    const id = view.getUint16(at, true);
    const len = view.getUint16(at + 2, true);
    if (id === 1) {
      let p = at + 4;
      const take = (what: string): number => {
        // Bounded by the field's own length and by the extra area it sits in (which the
        // directory bounds): a forged field length must not read past either.
        if (p + 8 > at + 4 + len || p + 8 > end)
          throw new CheckpointError(`ZIP entry "${e.name}": zip64 extra field is too short for its ${what}`);
        const v = u64(view, p, what);
        p += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = take('size');
      if (e.compressedSize === 0xffffffff) e.compressedSize = take('compressed size');
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = take('header offset');
      return;
    }
    at += 4 + len;
  }
}

function readCentralDirectory(view: DataView, bytes: Uint8Array, dir: Directory): Map<string, ZipEntry> {
  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder('utf-8');
  let at = dir.offset;
  const end = dir.offset + dir.size;
  for (let i = 0; i < dir.count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL_SIG)
      throw new CheckpointError(`ZIP central directory entry ${i} is corrupt or truncated`);
    const flags = view.getUint16(at + 8, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    if (at + 46 + nameLen + extraLen + commentLen > end)
      throw new CheckpointError(`ZIP central directory entry ${i} runs past the directory's end`);
    const e: ZipEntry = {
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLen)),
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    if (flags & 1) throw new CheckpointError(`ZIP entry "${e.name}" is encrypted`);
    applyZip64Extra(view, at + 46 + nameLen, extraLen, e);
    entries.set(e.name, e);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Parses the directory of a ZIP archive held in memory; entries are read on demand. */
export function readZip(bytes: Uint8Array): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < EOCD_SIZE)
    throw new CheckpointError(`file is too short for a ZIP archive (${bytes.byteLength} bytes)`);
  const entries = readCentralDirectory(view, bytes, readDirectoryLocation(view, findEocd(view)));
  const read = (name: string, maxBytes = MAX_ENTRY_BYTES): Uint8Array => {
    const e = entries.get(name);
    if (!e) throw new CheckpointError(`ZIP entry "${name}" does not exist`);
    if (e.size > maxBytes)
      throw new CheckpointError(
        `ZIP entry "${name}" declares ${e.size} bytes, more than the ${maxBytes} it may hold: corrupt or not a checkpoint`,
      );
    const h = e.localHeaderOffset;
    if (h + 30 > bytes.byteLength || view.getUint32(h, true) !== LOCAL_SIG)
      throw new CheckpointError(`ZIP entry "${name}": local header missing or corrupt`);
    // The local header's extra field may differ from the central one: PyTorch pads it for alignment.
    const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
    if (start + e.compressedSize > bytes.byteLength)
      throw new CheckpointError(`ZIP entry "${name}" runs past the end of the file (truncated)`);
    const raw = bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      // Inflate no further than the declared size (+1, to notice a stream that goes on): a
      // deflate bomb stops there, and the declared size itself is capped above.
      if (e.size > e.compressedSize * DEFLATE_MAX_RATIO + 1024) {
        throw new CheckpointError(
          `ZIP entry "${name}" declares ${e.size} bytes from ${e.compressedSize} deflated bytes, more than deflate can produce: corrupt`,
        );
      }
      try {
        data = inflateRawSync(raw, { maxOutputLength: e.size + 1 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          throw new CheckpointError(
            `ZIP entry "${name}" inflates to more than its directory's ${e.size} bytes: corrupt`,
          );
        throw new CheckpointError(`ZIP entry "${name}": deflate data is corrupt (${(err as Error).message})`);
      }
    } else
      throw new CheckpointError(
        `ZIP entry "${name}" uses compression method ${e.method} (only stored and deflate are supported)`,
      );
    if (data.byteLength !== e.size)
      throw new CheckpointError(`ZIP entry "${name}" has ${data.byteLength} bytes, its directory says ${e.size}`);
    if (crc32(data) >>> 0 !== e.crc)
      throw new CheckpointError(`ZIP entry "${name}" fails its CRC-32 check (corrupt file)`);
    return data;
  };
  return { entries, read };
}
