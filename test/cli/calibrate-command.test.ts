import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiffPose } from '../../src/diffpose.js';
import { writePreparedSplit } from '../../src/mocap/prepared-file.js';
import { parseSafetensors } from '../../src/model/safetensors.js';
import { parseModelWeights } from '../../src/model/weights.js';
import { parseTemporalWeights } from '../../src/temporal/temporal-weights.js';
import { runCli } from '../convert/run-cli.js';
import { goldenPath } from '../helpers/golden.js';
import { syntheticSplit } from '../helpers/synthetic-split.js';

/** `diffpose calibrate` on a synthetic training split with the golden tiny models (CPU). */
describe('diffpose calibrate', function () {
  this.timeout(600_000);
  let dir: string;
  const tiny = goldenPath('tiny.safetensors').pathname;
  const tinyTemporal = goldenPath('tiny-temporal.safetensors').pathname;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffpose-calibrate-'));
    writePreparedSplit(join(dir, 'train.safetensors'), syntheticSplit(40, 0.1));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fits the frame weights on every Nth training frame: their lifts then carry radius90, 90% of the validation covered', async () => {
    const out = join(dir, 'frame-cal.safetensors');
    const r = await runCli(['calibrate', '--cpu', '--weights', tiny, '--data', dir, '--stride', '2', '-o', out]);
    expect(r.code, r.stderr).to.equal(0);
    // 3 clips of 40 frames, every 2nd: 60 examples x 16 non-root joints; quantiles per cell give ~90%.
    const coverage = Number(/validation coverage of radius90 \(H = 8\): ([\d.]+)%/.exec(r.stdout)?.[1]);
    expect(coverage).to.be.within(85, 95);
    const w = parseModelWeights(new Uint8Array(readFileSync(out)));
    expect(w.calibration?.fitted).to.match(
      /60 validation examples \(every 2th frame of the training split\) and 120 frames of 3 training-split tracks with the legs out of the picture/,
    );
    // The paper init's noise gains were fitted first (printed, and in the config): the root's is 1.
    const gain = w.config.diffusion.xyzNoiseGain!;
    expect(gain).to.have.length(17);
    expect(gain[0]).to.equal(1);
    expect(gain.some((g) => Math.abs(g - 1) > 1e-3)).to.equal(true);
    expect(r.stdout).to.contain(`xyz noise gains per joint`);
    const tensors = (path: string) => parseSafetensors(new Uint8Array(readFileSync(path))).tensors;
    expect([...tensors(out).keys()], 'tensors kept').to.deep.equal([...tensors(tiny).keys()]);
    const model = await DiffPose.load({ weights: out, temporalWeights: null, backend: 'cpu' });
    const kp = new Float32Array(17 * 2).map((_, i) => 200 + 7 * i);
    const lifted = await model.lift(kp, { imageSize: [640, 480], hypotheses: 3 });
    expect(lifted.radius90).to.have.length(17);
    expect(lifted.radius90!.slice(1).every((v) => v > 0)).to.equal(true);
    model.dispose();
  });

  it('--keep-noise-gains refits the radii alone: the lifts stay bit for bit, the radii change with the data', async () => {
    const first = join(dir, 'frame-cal.safetensors');
    const out = join(dir, 'frame-recal.safetensors');
    const r = await runCli([
      'calibrate',
      '--cpu',
      '--weights',
      first,
      '--data',
      dir,
      '--stride',
      '3',
      '--keep-noise-gains',
      '-o',
      out,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.not.contain('noise gains');
    const [a, b] = [first, out].map((f) => parseModelWeights(new Uint8Array(readFileSync(f))));
    expect(b.config.diffusion.xyzNoiseGain).to.deep.equal(a.config.diffusion.xyzNoiseGain);
    expect(b.calibration?.fitted).to.match(/42 validation examples \(every 3th frame/);
    expect(b.calibration!.offset).to.not.deep.equal(a.calibration!.offset);
    const kp = new Float32Array(17 * 2).map((_, i) => 200 + 7 * i);
    const lifts = [];
    for (const weights of [first, out]) {
      const model = await DiffPose.load({ weights, temporalWeights: null, backend: 'cpu' });
      lifts.push(await model.lift(kp, { imageSize: [640, 480], hypotheses: 3, init: 'paper', seed: 2 }));
      model.dispose();
    }
    expect(Array.from(lifts[1].poses)).to.deep.equal(Array.from(lifts[0].poses));
    const t = await runCli(['calibrate', '--temporal', '--keep-noise-gains', '-o', join(dir, 'x.safetensors')]);
    expect(t.code).to.equal(1);
    expect(t.stderr.trim()).to.equal(
      'diffpose: --keep-noise-gains is for frame weights (--temporal never changes noise gains)',
    );
  });

  it('--temporal fits the temporal file on training tracks (offline and causal): its sequence lifts carry radius90', async () => {
    const out = join(dir, 'temporal-cal.safetensors');
    const r = await runCli([
      'calibrate',
      '--temporal',
      '--cpu',
      '--weights',
      tiny,
      '--temporal-weights',
      tinyTemporal,
      '--data',
      dir,
      '--tracks',
      '3',
      '-o',
      out,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const w = parseTemporalWeights(new Uint8Array(readFileSync(out)));
    // Each window its own fit: the offline one under the frame model's key, the causal one beside it.
    expect(w.calibration?.fitted).to.match(
      /3 training-split tracks of up to 64 frames \(120 frames\) and 3 with the legs out of the picture \(120 frames\), offline window/,
    );
    expect(w.causalCalibration?.fitted).to.match(
      /3 training-split tracks of up to 64 frames \(120 frames\) and 3 with the legs out of the picture \(120 frames\), causal window/,
    );
    expect(w.causalCalibration!.single).to.not.deep.equal(w.calibration!.single);
    const model = await DiffPose.load({ weights: tiny, temporalWeights: out, backend: 'cpu' });
    const kp = new Float32Array(5 * 17 * 2).map((_, i) => 200 + 7 * (i % 34) + i / 34);
    const seq = await model.liftSequence(kp, { imageSize: [640, 480], hypotheses: 2 });
    expect(seq.radius90).to.have.length(5 * 17);
    // The frame model (not calibrated here) has none.
    expect((await model.lift(kp, { imageSize: [640, 480] })).radius90).to.equal(undefined);
    model.dispose();
  });

  it('refuses flags of the other mode, in one line', async () => {
    const r = await runCli(['calibrate', '--tracks', '3', '-o', join(dir, 'x.safetensors')]);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal('diffpose: --tracks is for --temporal');
    const s = await runCli(['calibrate', '--temporal', '--stride', '3', '-o', join(dir, 'x.safetensors')]);
    expect(s.stderr.trim()).to.equal('diffpose: --stride is for frame weights, not --temporal');
  });
});
