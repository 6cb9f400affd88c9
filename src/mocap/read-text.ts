import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * Reads a text file that may be gzip-compressed. Decided by the gzip magic bytes rather than
 * the `.gz` suffix, so a renamed or already-unpacked copy reads the same.
 */
export function readMaybeGzippedText(path: string): string {
  const bytes = readFileSync(path);
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return (gzipped ? gunzipSync(bytes) : bytes).toString('latin1');
}
