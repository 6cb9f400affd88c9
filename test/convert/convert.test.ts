import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiffPose } from '../../src/diffpose.js';
import { CheckpointError } from '../../src/model/checkpoint/checkpoint-error.js';
import { convertCheckpoints, type CheckpointSource } from '../../src/model/checkpoint/convert.js';
import { runNetworkRef } from '../../src/model/reference-network.js';
import { parseSafetensors } from '../../src/model/safetensors.js';
import { parseModelWeights } from '../../src/model/weights.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenJson, goldenPath } from '../helpers/golden.js';
import { runCli } from './run-cli.js';
import {
  build,
  f32Bytes,
  global,
  orderedDict,
  reduce,
  tensor,
  torchFile,
  tuple,
  type PyDesc,
} from './torch-file-builder.js';

const source = (name: string): CheckpointSource => ({
  bytes: new Uint8Array(readFileSync(goldenPath(name))),
  label: name,
});
const tiny = () => parseSafetensors(new Uint8Array(readFileSync(goldenPath('tiny.safetensors'))));
const convertTiny = (extra: { ema?: boolean } = {}) =>
  convertCheckpoints({
    denoiser: source('tiny-released.pth'),
    lifter: source('tiny-released-lifter.pth'),
    heads: 2,
    ...extra,
  });

/** The tiny model's tensors for one network as a state dict in a hand-built checkpoint. */
function stateDictFile(prefix: string, rename: (name: string) => string, wrap: (sd: PyDesc) => PyDesc): Uint8Array {
  const storages: Record<string, Uint8Array> = {};
  const entries: Array<[string, PyDesc]> = [];
  for (const [name, t] of tiny().tensors) {
    if (!name.startsWith(prefix)) continue;
    const key = String(entries.length);
    storages[key] = f32Bytes(t.data);
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    entries.push([rename(name.slice(prefix.length)), tensor(key, 'FloatStorage', t.data.length, 0, t.shape, stride)]);
  }
  return torchFile(wrap(orderedDict(entries)), storages);
}

describe('diffpose convert (PyTorch checkpoints -> engine weights)', () => {
  it('converts the released-layout fixtures to exactly the tensors of tiny.safetensors', () => {
    const r = convertTiny();
    const want = tiny();
    const got = parseSafetensors(r.bytes);
    expect([...got.tensors.keys()].sort()).to.deep.equal([...want.tensors.keys()].sort());
    for (const [name, t] of want.tensors) {
      const g = got.tensors.get(name)!;
      expect(g.shape, name).to.deep.equal(t.shape);
      expect(Buffer.from(g.data.buffer).equals(Buffer.from(t.data.buffer)), `${name} bit-exact`).to.equal(true);
    }
    expect(JSON.parse(got.metadata['diffpose.config'])).to.deep.equal(JSON.parse(want.metadata['diffpose.config']));
    expect(r.dropped).to.have.members([
      'lifter.temb.dense.0.weight',
      'lifter.temb.dense.0.bias',
      'lifter.temb.dense.1.weight',
      'lifter.temb.dense.1.bias',
    ]);
    // --ema takes the shadow (element 4), which in these fixtures equals the weights.
    const ema = parseSafetensors(convertTiny({ ema: true }).bytes);
    for (const [name, t] of got.tensors)
      expect([...ema.tensors.get(name)!.data], `EMA ${name}`).to.deep.equal([...t.data]);
    expect(ema.metadata['diffpose.source']).to.match(/EMA weights/);
  });

  it('gives a model whose outputs equal the PyTorch golden outputs', async () => {
    const g = goldenJson();
    const bytes = convertTiny().bytes;
    const w = parseModelWeights(bytes);
    const uv = f32(g.lifter.uv);
    const n = uv.length / 34;
    expectClose(runNetworkRef(w.lifter, uv, n), f32(g.lifter.xyz), 1e-4, 0, 'lifter xyz');
    const x = f32(g.denoiser.x);
    (g.denoiser.t.data ?? g.denoiser.t).forEach((t: number, i: number) => {
      expectClose(
        runNetworkRef(w.denoiser, x.subarray(i * 85, (i + 1) * 85), 1, t),
        f32(g.denoiser.eps).subarray(i * 85, (i + 1) * 85),
        1e-4,
        0,
        `eps t=${t}`,
      );
    });
    // The whole released sampler through the public API: image 2x2 makes uv = pixels - 1.
    const model = await DiffPose.load({ weights: bytes, backend: 'cpu' });
    try {
      const r = await model.lift(
        uv.map((v) => v + 1),
        { imageSize: [2, 2], init: 'official', timesteps: [12, 0] },
      );
      expectClose(r.poses, f32(g.sampling.xyz), 1e-4, 0, 'sampled xyz');
    } finally {
      model.dispose();
    }
  });

  it('accepts a bare state dict (real state_dict(): OrderedDict with _metadata) and {"state_dict": ...}', () => {
    // model.state_dict() pickles its _metadata attribute with BUILD; the reader ignores it.
    const bare = stateDictFile(
      'denoiser.',
      (n) => n,
      (sd) => build(sd, new Map<PyDesc, PyDesc>([['_metadata', orderedDict([['', new Map([['version', 1]])]])]])),
    );
    const wrapped = stateDictFile(
      'lifter.',
      (n) => `module.${n}`,
      (sd) =>
        new Map<PyDesc, PyDesc>([
          ['state_dict', sd],
          ['epoch', 9],
        ]),
    );
    const r = convertCheckpoints({
      denoiser: { bytes: bare, label: 'bare.pth' },
      lifter: { bytes: wrapped, label: 'wrapped.pth' },
      heads: 2,
    });
    const got = parseSafetensors(r.bytes);
    for (const [name, t] of tiny().tensors) expect([...got.tensors.get(name)!.data], name).to.deep.equal([...t.data]);
    expect(r.dropped).to.deep.equal([]);
  });

  it('explains what is wrong with checkpoints that do not fit', () => {
    const convert =
      (denoiser: string, lifter: string, heads = 2) =>
      () =>
        convertCheckpoints({ denoiser: source(denoiser), lifter: source(lifter), heads });
    expect(convert('tiny-released-lifter.pth', 'tiny-released.pth')).to.throw(
      CheckpointError,
      /looks like the denoiser: are the checkpoints swapped/,
    );
    expect(convert('tiny-released.pth', 'tiny-released-lifter.pth', 3)).to.throw(
      CheckpointError,
      /hidden size 16 is not divisible by 3 heads/,
    );
    const bare = stateDictFile(
      'denoiser.',
      (n) => n,
      (sd) => sd,
    );
    const renamed = stateDictFile(
      'denoiser.',
      (n) => n.replace('temb_proj', 'temb_projection'),
      (sd) => sd,
    );
    expect(() =>
      convertCheckpoints({
        denoiser: { bytes: renamed, label: 'renamed.pth' },
        lifter: source('tiny-released-lifter.pth'),
        heads: 2,
      }),
    ).to.throw(CheckpointError, /renamed\.pth \(denoiser\): missing 4 tensor\(s\).*gconv_layers\.0\.temb_proj\.weight/);
    expect(() =>
      convertCheckpoints({
        denoiser: { bytes: bare, label: 'bare.pth' },
        lifter: source('tiny-released-lifter.pth'),
        heads: 2,
        ema: true,
      }),
    ).to.throw(CheckpointError, /--ema: bare\.pth \(denoiser\) is a bare state dict without EMA weights/);
    const notWeights = torchFile(reduce(global('collections.OrderedDict'), tuple()));
    expect(() => convertCheckpoints({ denoiser: { bytes: notWeights, label: 'empty.pth' }, heads: 2 })).to.throw(
      CheckpointError,
      /cannot find the lifter's state dict/,
    );
  });

  describe('CLI', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'diffpose-convert-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('writes a weights file that the engine loads, and reports what it found', async () => {
      const out = join(dir, 'tiny.safetensors');
      const r = await runCli([
        'convert',
        goldenPath('tiny-released.pth').pathname,
        out,
        '--lifter',
        goldenPath('tiny-released-lifter.pth').pathname,
        '--heads',
        '2',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(
        /converted lifter hidden 16, 2 layers, 2 heads, 8,421 parameters; denoiser hidden 16, 2 layers, 2 heads, 15,991 parameters/,
      );
      expect(r.stderr).to.match(/dropped the lifter's unused step-embedding tensors/);
      expect(parseModelWeights(new Uint8Array(readFileSync(out))).config.denoiser.heads).to.equal(2);
    });

    it('fails with one clear line and exit code 1', async () => {
      const bad = join(dir, 'evil.pth');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(bad, torchFile(reduce(global('os.system'), tuple('echo pwned'))));
      const r = await runCli(['convert', bad, join(dir, 'x.safetensors'), '--lifter', bad]);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(
        /^diffpose: the checkpoint refers to the Python global "os\.system", which is not allowed/,
      );
      const missing = await runCli(['convert', join(dir, 'nope.pth'), join(dir, 'x.safetensors')]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/^diffpose: cannot read .*nope\.pth: ENOENT/);
    });
  });
});
