import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeSafetensors } from '../../src/model/safetensors.js';

describe('safetensors writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  after(() => rmSync(dir, { recursive: true }));

  const poses = new Float32Array([0.5, -1.25, 3, 1e-7, Math.PI, -0]);
  const clip = new Int32Array([0, 0, -7, 2147483647]);
  // A non-ASCII name makes the JSON longer in bytes than in characters.
  const metadata = { 'diffpose.clips': JSON.stringify([{ name: 'Universität Bonn' }]), note: 'x' };
  const path = join(dir, 'a.safetensors');
  writeFileSync(
    path,
    serializeSafetensors(
      {
        poses: { shape: [2, 3], data: poses },
        clip: { shape: [4], data: clip },
      },
      metadata,
    ),
  );
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const headerText = bytes.subarray(8, 8 + headerLength).toString('utf8');
  const header = JSON.parse(headerText) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + headerLength;

  it('pads the header with spaces to a multiple of 8 bytes', () => {
    expect(headerLength % 8).to.equal(0);
    expect(headerText).to.match(/^\{.*\} *$/);
  });

  it('writes dtype, shape and back-to-back data offsets for each tensor', () => {
    expect(header.poses).to.deep.equal({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.clip).to.deep.equal({ dtype: 'I32', shape: [4], data_offsets: [24, 40] });
    expect(bytes.length).to.equal(dataStart + 40);
  });

  it('stores __metadata__ as a map of strings', () => {
    expect(header.__metadata__).to.deep.equal(metadata);
  });

  it('round-trips the little-endian data exactly', () => {
    const f = Array.from({ length: 6 }, (_, i) => bytes.readFloatLE(dataStart + i * 4));
    expect(f).to.deep.equal(Array.from(poses));
    expect(Object.is(f[5], -0)).to.equal(true);
    const n = Array.from({ length: 4 }, (_, i) => bytes.readInt32LE(dataStart + 24 + i * 4));
    expect(n).to.deep.equal([0, 0, -7, 2147483647]);
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => serializeSafetensors({ x: { shape: [4], data: new Float32Array(3) } })).to.throw(/holds 4 values/);
  });
});
