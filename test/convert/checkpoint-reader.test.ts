import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CheckpointError } from '../../src/model/checkpoint/checkpoint-error.js';
import { readTorchCheckpoint } from '../../src/model/checkpoint/torch-checkpoint.js';
import { TorchTensor } from '../../src/model/checkpoint/torch-tensor.js';
import { goldenPath } from '../helpers/golden.js';
import {
  f32Bytes,
  float,
  global,
  orderedDict,
  pickle,
  raw,
  reduce,
  tensor,
  torchFile,
  tuple,
} from './torch-file-builder.js';

function expectCheckpointError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    readTorchCheckpoint(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a CheckpointError').to.be.instanceOf(CheckpointError);
  expect((caught as Error).message).to.match(pattern);
}

function asTensor(v: unknown): TorchTensor {
  expect(v).to.be.instanceOf(TorchTensor);
  return v as TorchTensor;
}

describe('PyTorch checkpoint reader', () => {
  it('reads a torch.save archive written by PyTorch (released layout, whatever its top folder is called)', () => {
    const v = readTorchCheckpoint(new Uint8Array(readFileSync(goldenPath('tiny-released.pth'))));
    expect(Array.isArray(v)).to.equal(true);
    const [sd, optimizer, epoch, step, ema] = v as unknown[];
    expect(epoch).to.equal(3);
    expect(step).to.equal(42);
    expect((optimizer as Map<unknown, unknown>).has('param_groups')).to.equal(true);
    const w = asTensor((sd as Map<string, unknown>).get('module.gconv_input.weight'));
    expect(w.shape).to.deep.equal([3, 1, 5, 16]);
    expect(w.dtype).to.equal('float32');
    expect(asTensor((ema as Map<string, unknown>).get('gconv_input.weight')).toFloat32()).to.deep.equal(w.toFloat32());
  });

  it('honours storage offset and strides (a transposed view copies out row-major)', () => {
    // storage 0..7; view = offset 1, size [3, 2], stride [1, 3]: rows (1, 4), (2, 5), (3, 6).
    const file = torchFile(tensor('0', 'FloatStorage', 8, 1, [3, 2], [1, 3]), {
      0: f32Bytes([0, 1, 2, 3, 4, 5, 6, 7]),
    });
    expect([...asTensor(readTorchCheckpoint(file)).toFloat32()]).to.deep.equal([1, 4, 2, 5, 3, 6]);
  });

  it('shares one storage between views, and reads half, bfloat16 and double storages', () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, ~1/3
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0x4049]).buffer); // 1, ~3.14
    const dbl = new Uint8Array(new Float64Array([0.1, 2.5]).buffer);
    const file = torchFile(
      [
        tensor('h', 'HalfStorage', 3, 0, [3], [1]),
        tensor('b', 'BFloat16Storage', 2, 0, [2], [1]),
        tensor('d', 'DoubleStorage', 2, 0, [2], [1]),
        tensor('d', 'DoubleStorage', 2, 1, [1], [1]),
      ],
      { h: half, b: bf16, d: dbl },
    );
    const [h, b, d, d1] = (readTorchCheckpoint(file) as unknown[]).map(asTensor);
    expect([...h.toFloat32()]).to.deep.equal([1, -2, Math.fround(0.333251953125)]);
    expect([...b.toFloat32()]).to.deep.equal([1, 3.140625]);
    expect([...d.toFloat32()]).to.deep.equal([Math.fround(0.1), 2.5]);
    expect(d1.storage).to.equal(d.storage);
    expect([...d1.toFloat32()]).to.deep.equal([2.5]);
  });

  it('reads deflated entries the same as stored ones', () => {
    const value = orderedDict([['w', tensor('0', 'FloatStorage', 3, 0, [3], [1])]]);
    const storages = { 0: f32Bytes([1.5, -2, 3]) };
    const stored = readTorchCheckpoint(torchFile(value, storages)) as Map<string, unknown>;
    const deflated = readTorchCheckpoint(torchFile(value, storages, { method: 8 })) as Map<string, unknown>;
    expect([...asTensor(deflated.get('w')).toFloat32()]).to.deep.equal([...asTensor(stored.get('w')).toFloat32()]);
  });

  it('parses Adam optimizer state (int keys, tensors, floats, tuples, None) without needing it', () => {
    const state = new Map([
      [
        0,
        new Map<string, unknown>([
          ['step', 1200],
          ['exp_avg', tensor('1', 'FloatStorage', 2, 0, [2], [1])],
          ['exp_avg_sq', tensor('2', 'FloatStorage', 2, 0, [2], [1])],
        ]),
      ],
    ]);
    const groups = [
      new Map<string, unknown>([
        ['lr', float(1e-3)],
        ['betas', tuple(float(0.9), float(0.999))],
        ['eps', float(1e-8)],
        ['amsgrad', false],
        ['foreach', null],
        ['params', [0]],
      ]),
    ];
    const file = torchFile(
      [
        new Map(),
        new Map<string, unknown>([
          ['state', state],
          ['param_groups', groups],
        ]),
        7,
        1200,
      ] as never,
      { 1: f32Bytes([0, 0]), 2: f32Bytes([0, 0]) },
    );
    const [, opt] = readTorchCheckpoint(file) as unknown[];
    const g = ((opt as Map<string, unknown>).get('param_groups') as Array<Map<string, unknown>>)[0];
    expect(g.get('betas')).to.deep.equal([0.9, 0.999]);
    expect(g.get('lr')).to.equal(1e-3);
    expect(
      ((opt as Map<string, unknown>).get('state') as Map<number, Map<string, unknown>>).get(0)!.get('step'),
    ).to.equal(1200);
  });

  describe('refuses malformed or unsafe files with a clear error', () => {
    it('a truncated archive', () => {
      const bytes = new Uint8Array(readFileSync(goldenPath('tiny-released.pth')));
      expectCheckpointError(bytes.subarray(0, bytes.length >> 1), /truncated/);
      expectCheckpointError(bytes.subarray(0, 10), /too short for a ZIP archive/);
    });

    it('a corrupted storage (CRC-32)', () => {
      const bytes = new Uint8Array(readFileSync(goldenPath('tiny-released.pth')));
      const v = readTorchCheckpoint(bytes) as unknown[];
      const w = asTensor((v[0] as Map<string, unknown>).get('module.gconv_input.weight'));
      // Flip a byte inside the first storage's data (data/0 follows data.pkl's entry).
      const at =
        new TextDecoder('latin1').decode(bytes).indexOf('tiny-released/data/0') + 'tiny-released/data/0'.length + 80;
      const broken = bytes.slice();
      broken[at] ^= 0xff;
      const w2 = asTensor(
        ((readTorchCheckpoint(broken) as unknown[])[0] as Map<string, unknown>).get('module.gconv_input.weight'),
      );
      expect(() => w2.toFloat32()).to.throw(CheckpointError, /CRC-32/);
      expect(w.toFloat32().length).to.equal(240);
    });

    it('a forbidden global (os.system), refused before anything could call it', () => {
      const file = torchFile(reduce(global('os.system'), tuple('echo pwned')));
      expectCheckpointError(file, /"os\.system", which is not allowed/);
      expectCheckpointError(torchFile(reduce(global('builtins.eval'), tuple('1+1'))), /"builtins\.eval"/);
    });

    it('an unknown or unsupported opcode', () => {
      expectCheckpointError(
        torchFile(null, {}, { pickleBytes: Uint8Array.from([0x80, 2, 0xff, 0x2e]) }),
        /unknown pickle opcode 0xff at byte 2/,
      );
      expectCheckpointError(torchFile(raw(0x69)), /pickle opcode INST \(0x69\)/);
    });

    it('a pickle without STOP, and REDUCE on a value that is not an allowed callable', () => {
      expectCheckpointError(torchFile(null, {}, { pickleBytes: Uint8Array.from([0x80, 2, 0x4e]) }), /without a STOP/);
      expectCheckpointError(torchFile(reduce('print', tuple())), /calls str, which is not an allowed callable/);
    });

    it('a storage whose archive entry is missing, or has the wrong size', () => {
      expectCheckpointError(
        torchFile(tensor('7', 'FloatStorage', 4, 0, [4], [1])),
        /storage "7" \(FloatStorage, 4 elements\) has no entry "archive\/data\/7"/,
      );
      const short = readTorchCheckpoint(
        torchFile(tensor('0', 'FloatStorage', 4, 0, [4], [1]), { 0: f32Bytes([1, 2]) }),
      );
      expect(() => asTensor(short).toFloat32()).to.throw(
        CheckpointError,
        /has 8 bytes, but 4 elements of float32 need 16/,
      );
    });

    it('a tensor view reaching outside its storage', () => {
      expectCheckpointError(
        torchFile(tensor('0', 'FloatStorage', 4, 2, [2, 2], [2, 1]), { 0: f32Bytes([1, 2, 3, 4]) }),
        /reaches outside its storage/,
      );
    });

    it('a file that is not a ZIP checkpoint (legacy torch.save, or no data.pkl)', () => {
      expectCheckpointError(pickle(7), /legacy \(non-ZIP\) torch\.save file/);
      expectCheckpointError(
        new TextEncoder().encode('just some text that is long enough for a zip header'),
        /not a ZIP archive/,
      );
    });
  });
});
