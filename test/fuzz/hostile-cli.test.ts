import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../convert/run-cli.js';
import { global, orderedDict, reduce, tensor, torchFile, tuple, f32Bytes } from '../convert/torch-file-builder.js';
import { concat, fixture } from './fuzz-support.js';

/**
 * Issue 12.5, the CLI side: a hostile weights file or checkpoint makes `diffpose lift` /
 * `diffpose convert` print exactly one line on stderr (no stack trace unless --verbose) and
 * exit non-zero, without writing the output file.
 */

function safetensorsWithHeader(
  header: string | Uint8Array,
  lengthField?: bigint,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const text = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, lengthField ?? BigInt(text.length), true);
  return concat(prefix, text, data);
}

/** tiny.safetensors plus an empty tensor whose name holds a newline and a terminal escape. */
function evilName(): Uint8Array {
  const tiny = fixture('golden/tiny.safetensors');
  const len = Number(new DataView(tiny.buffer, tiny.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(tiny.subarray(8, 8 + len)));
  header['lifter.\n\u001b[31mevil'] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
  return safetensorsWithHeader(JSON.stringify(header), undefined, tiny.subarray(8 + len));
}

const HOSTILE_WEIGHTS: Record<string, [Uint8Array, RegExp]> = {
  'evil-name.safetensors': [evilName(), /tensor "lifter\.\\n\\u001b\[31mevil": names must not hold control characters/],
  'forged-length.safetensors': [safetensorsWithHeader('{}', 1n << 40n), /header length 1099511627776 does not fit/],
  'newline-name.safetensors': [
    safetensorsWithHeader(
      JSON.stringify({
        'lifter.\n\u001b[31mevil': { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        __metadata__: { 'diffpose.config': '{"format": 1,\n"joints": x}' },
      }),
      undefined,
      new Uint8Array(4),
    ),
    /not valid JSON/,
  ],
  'bad-json.safetensors': [safetensorsWithHeader('{"a":\n\n x}'), /header is not valid JSON/],
  'proto-dtype.safetensors': [
    safetensorsWithHeader(
      JSON.stringify({ 'lifter.a': { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }),
      undefined,
      new Uint8Array(4),
    ),
    /dtype "constructor" is not supported/,
  ],
  'a-checkpoint.pth': [fixture('golden/tiny-released.pth'), /header length \d+ does not fit|not valid JSON/],
  'random.bin': [Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) & 0xff), /weights file/],
};

/** 300,000 NONEs appended to a list: overflowed the stack before the fix. */
function appendsBomb(): Uint8Array {
  const items = new Uint8Array(300_000).fill(0x4e);
  return torchFile(
    null,
    {},
    { pickleBytes: concat(Uint8Array.from([0x80, 2, 0x5d, 0x28]), items, Uint8Array.from([0x65, 0x2e])) },
  );
}

const HOSTILE_CHECKPOINTS: Record<string, [Uint8Array, RegExp]> = {
  'os-system.pth': [torchFile(reduce(global('os.system'), tuple('echo pwned'))), /"os\.system", which is not allowed/],
  'newline-global.pth': [torchFile(reduce(global('os.x\n\u001b[2Jy'), tuple())), /not allowed/],
  'appends.pth': [appendsBomb(), /cannot find the lifter's state dict in a list|not a state dict/],
  'expanded.pth': [
    torchFile(orderedDict([['gconv_input.weight', tensor('0', 'FloatStorage', 1, 0, [3, 1, 2, 4096], [0, 0, 0, 0])]]), {
      0: f32Bytes([1]),
    }),
    /gconv_output\.weight|not a DiffPose/,
  ],
  'weights.safetensors': [fixture('golden/tiny.safetensors'), /not a ZIP archive/],
  'random.bin': [Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) & 0xff), /ZIP/],
};

/** The error is the last line on stderr and the only "diffpose: " one (lift first reports what it read); no stack trace. */
function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).to.not.equal(0);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const errors = lines.filter((l) => l.startsWith('diffpose: '));
  expect(errors, r.stderr).to.have.length(1);
  expect(lines[lines.length - 1]).to.equal(errors[0]);
  expect(
    lines.some((l) => /^\s+at /.test(l)),
    r.stderr,
  ).to.equal(false);
  expect(errors[0]).to.not.match(/internal error/);
  expect(errors[0]).to.match(pattern);
  expect(errors[0]).to.not.match(/[\u0000-\u001f\u007f-\u009f]/);
}

describe('CLI on hostile files: one line on stderr, a non-zero exit code', function () {
  this.timeout(60_000);
  let dir: string;
  const path = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffpose-hostile-'));
    for (const [name, [bytes]] of [
      ...Object.entries(HOSTILE_WEIGHTS).map(([n, v]) => [`w-${n}`, v] as const),
      ...Object.entries(HOSTILE_CHECKPOINTS).map(([n, v]) => [`c-${n}`, v] as const),
    ]) {
      writeFileSync(join(dir, name), bytes);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, [, pattern]] of Object.entries(HOSTILE_WEIGHTS)) {
    it(`lift --weights ${name}`, async () => {
      const out = path(`out-${name}.json`);
      const r = await runCli([
        'lift',
        new URL('../../examples/walk-h36m17.json', import.meta.url).pathname,
        '--weights',
        path(`w-${name}`),
        '--cpu',
        '-o',
        out,
      ]);
      expectOneLine(r, pattern);
      expect(existsSync(out)).to.equal(false);
    });
  }

  for (const [name, [, pattern]] of Object.entries(HOSTILE_CHECKPOINTS)) {
    it(`convert ${name}`, async () => {
      const out = path(`out-${name}.safetensors`);
      const r = await runCli([
        'convert',
        path(`c-${name}`),
        out,
        '--lifter',
        new URL('../fixtures/golden/tiny-released-lifter.pth', import.meta.url).pathname,
        '--heads',
        '2',
      ]);
      expectOneLine(r, pattern);
      expect(existsSync(out)).to.equal(false);
    });
  }

  it('--verbose adds the stack trace after the line', async () => {
    const r = await runCli(['convert', path('c-os-system.pth'), path('x.safetensors'), '--verbose']);
    expect(r.code).to.not.equal(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).to.match(/^diffpose: .*"os\.system", which is not allowed/);
    expect(r.stderr).to.match(/\n\s+at /);
  });
});
