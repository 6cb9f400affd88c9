import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiffPose } from '../../src/diffpose.js';
import { simulateHeatmaps } from '../../src/eval/heatmap-sim.js';
import { encodeNpy as npy, parseNpy } from '../../src/cli/heatmap-file.js';
import { serializeSafetensors } from '../../src/model/safetensors.js';
import { someKeypoints } from '../helpers/models.js';
import { diffposeLines, runCli } from './run-cli.js';

describe('diffpose lift heatmaps.npy / .safetensors', function () {
  const dir = mkdtempSync(join(tmpdir(), 'diffpose-heatmaps-'));
  const n = 2;
  const heatmaps = new Float32Array(n * 17 * 48 * 64),
    boxes = new Float32Array(n * 4);
  const kp = someKeypoints(n, 4);
  for (let i = 0; i < n; i++) {
    const s = simulateHeatmaps(kp.subarray(i * 34, (i + 1) * 34), new Float32Array(17).fill(0.9), 7 + i);
    heatmaps.set(s.heatmaps, i * 17 * 48 * 64);
    boxes.set(s.box, i * 4);
  }
  writeFileSync(join(dir, 'h.npy'), npy([n, 17, 64, 48], heatmaps));
  writeFileSync(join(dir, 'b.npy'), npy([n, 4], Float64Array.from(boxes)));
  writeFileSync(
    join(dir, 'h.safetensors'),
    serializeSafetensors({
      heatmaps: { shape: [n, 17, 64, 48], data: heatmaps },
      boxes: { shape: [n, 4], data: boxes },
    }),
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads .npy float32 and float64 back exactly', function () {
    const a = parseNpy(npy([n, 4], Float64Array.from(boxes)), 'b.npy');
    expect(a.shape).to.deep.equal([n, 4]);
    expect(Array.from(a.data)).to.deep.equal(Array.from(boxes));
    expect(() => parseNpy(new Uint8Array(20), 'x.npy')).to.throw(/not a .npy file/);
  });

  it('lifts the people of either file like model.lift on the heatmaps, with the fitted mixtures', async function () {
    const model = await DiffPose.load({ backend: 'cpu' });
    const want = await model.lift(heatmaps, {
      imageSize: [640, 480],
      heatmaps: { width: 48, height: 64, boxes, components: 2 },
      hypotheses: 2,
    });
    model.dispose();
    for (const file of [['h.npy', '--boxes', join(dir, 'b.npy')], ['h.safetensors']]) {
      const out = join(dir, `${file[0]}.json`);
      const r = await runCli([
        'lift',
        join(dir, file[0]),
        ...file.slice(1),
        '--image-size',
        '640x480',
        '--cpu',
        '--components',
        '2',
        '--hypotheses',
        '2',
        '-o',
        out,
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect(diffposeLines(r.stderr).join('\n')).to.not.match(/error/);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as {
        people: Array<{ joints: number[]; gmm: { weights: number[] } }>;
      };
      expect(doc.people.length).to.equal(n);
      for (let i = 0; i < n; i++) {
        doc.people[i].joints.forEach((v, k) => expect(v).to.be.closeTo(want.poses[i * 51 + k], 1e-5));
        expect(doc.people[i].gmm.weights.length).to.equal(17 * 2);
      }
    }
  });

  it("--target-sigma: the detector's target kernel (0: the blobs' own widths), in the output", async function () {
    const out = (s: string) => join(dir, `t${s}.json`);
    const docs = [];
    for (const s of ['0', '2']) {
      const args = ['lift', join(dir, 'h.safetensors'), '--image-size', '640x480', '--cpu', '--components', '1'];
      const r = await runCli([...args, '--hypotheses', '1', '--target-sigma', s, '-o', out(s)]);
      expect(r.code, r.stderr).to.equal(0);
      docs.push(
        JSON.parse(readFileSync(out(s), 'utf8')) as {
          heatmaps: { targetSigma: number };
          people: Array<{ gmm: { sigmas: number[] } }>;
        },
      );
    }
    expect(docs.map((d) => d.heatmaps.targetSigma)).to.deep.equal([0, 2]);
    // Sure joints (confidence 0.9): blobs of about 2 heatmap px, beliefs a fraction of that.
    expect(docs[1].people[0].gmm.sigmas[2]).to.be.below(docs[0].people[0].gmm.sigmas[2] / 3);
    const bad = await runCli([
      'lift',
      join(dir, 'h.safetensors'),
      '--image-size',
      '640x480',
      '--cpu',
      '--target-sigma',
      '-1',
    ]);
    expect(bad.code).to.equal(1);
    expect(diffposeLines(bad.stderr).join('\n')).to.match(/--target-sigma must be a number in \[0, 64\]/);
  });

  it('refuses heatmap files without an image size, and bad boxes, in one line', async function () {
    const a = await runCli(['lift', join(dir, 'h.npy'), '--cpu']);
    expect(a.code).to.equal(1);
    expect(diffposeLines(a.stderr).join('\n')).to.match(/--image-size/);
    const b = await runCli([
      'lift',
      join(dir, 'h.npy'),
      '--boxes',
      join(dir, 'h.npy'),
      '--image-size',
      '640x480',
      '--cpu',
    ]);
    expect(b.code).to.equal(1);
    expect(diffposeLines(b.stderr).join('\n')).to.match(/boxes must be \[N, 4\]/);
  });
});
