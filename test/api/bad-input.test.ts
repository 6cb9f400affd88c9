import { expect } from 'chai';
import { DiffPose } from '../../src/diffpose.js';
import { AbortedError, GpuError, InputError, WeightsError, type DiffPoseError } from '../../src/errors.js';
import type { LiftOptions } from '../../src/lift-options.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

/** Every bad argument is rejected with a clear InputError before any work, and the model stays usable. */
export function badInputSuite(backend: 'cpu' | 'gpu', executor: LiftOptions['executor']): void {
  describe(`bad input (${backend}, ${executor})`, () => {
    let model: DiffPose;
    const kp = someKeypoints(2);
    const ok: LiftOptions = { imageSize: [640, 480], executor };

    before(async function () {
      if (backend === 'gpu') {
        const { testGpu } = await import('../helpers/gpu.js');
        const gpu = await testGpu(this);
        model = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
      } else {
        model = await DiffPose.load({ weights: smallWeights(), backend: 'cpu' });
      }
    });
    after(() => model?.dispose());

    async function rejects(keypoints: unknown, options: unknown, pattern: RegExp): Promise<void> {
      let caught: unknown;
      try {
        await model.lift(keypoints as Float32Array, options as LiftOptions);
      } catch (e) {
        caught = e;
      }
      expect(caught, 'expected an InputError').to.be.instanceOf(InputError);
      expect((caught as Error).message).to.match(pattern);
      // Still usable afterwards.
      const r = await model.lift(kp, ok);
      expect(r.poses.length).to.equal(2 * 51);
      expect(r.poses.every(Number.isFinite)).to.equal(true);
    }

    it('wrong keypoint length', () => rejects(kp.subarray(0, 33), ok, /33 values, not a positive multiple of 34/));
    it('keypoints neither a Float32Array nor numbers', () =>
      rejects({ length: 34 }, ok, /must be a Float32Array or an array of numbers/));
    it('keypoints with a string among the numbers', () =>
      rejects([...kp.subarray(0, 5), '7'], ok, /keypoints\[5\] is "7": numbers expected/));
    it('a plain array of the wrong length', () => rejects([1, 2, 3], ok, /3 values, not a positive multiple of 34/));
    it('an unknown option key (a typo)', () => rejects(kp, { ...ok, hypothesis: 8 }, /unknown option "hypothesis"/));
    it('an empty input with a bad image size', () => rejects([], { ...ok, imageSize: [0, 0] }, /imageSize/));
    it('NaN keypoint', () =>
      rejects(
        kp.map((v, i) => (i === 7 ? NaN : v)),
        ok,
        /keypoints\[7\] is NaN/,
      ));
    it('infinite keypoint', () =>
      rejects(
        kp.map((v, i) => (i === 40 ? Infinity : v)),
        ok,
        /keypoints\[40\] is Infinity/,
      ));
    it('zero image width', () =>
      rejects(kp, { ...ok, imageSize: [0, 480] }, /imageSize must be \[width, height\] with both > 0/));
    it('negative image height', () => rejects(kp, { ...ok, imageSize: [640, -1] }, /imageSize/));
    it('missing options', () => rejects(kp, undefined, /options with imageSize are required/));
    it('unknown format', () => rejects(kp, { ...ok, format: 'body25x' }, /unknown keypoint format "body25x"/));
    it('zero hypotheses', () =>
      rejects(kp, { ...ok, hypotheses: 0 }, /hypotheses must be an integer in \[1, 64\], got 0/));
    it('too many hypotheses', () => rejects(kp, { ...ok, hypotheses: 65 }, /hypotheses .* got 65/));
    it('fractional hypotheses', () => rejects(kp, { ...ok, hypotheses: 1.5 }, /hypotheses/));
    it('timesteps not decreasing', () => rejects(kp, { ...ok, timesteps: [0, 12] }, /strictly decreasing/));
    it('repeated timestep', () => rejects(kp, { ...ok, timesteps: [12, 12, 0] }, /strictly decreasing/));
    it('timestep outside the schedule', () =>
      rejects(kp, { ...ok, timesteps: [51, 0] }, /timesteps\[0\] = 51 is outside the schedule/));
    it('negative timestep', () => rejects(kp, { ...ok, timesteps: [5, -1] }, /timesteps\[1\] = -1/));
    it('empty timesteps', () => rejects(kp, { ...ok, timesteps: [] }, /non-empty/));
    it('samples not a boolean', () =>
      rejects(kp, { ...ok, samples: 'no' as never }, /samples must be true or false, got "no"/));
    it('gmm null', () =>
      rejects(kp, { ...ok, gmm: null as never }, /gmm must be \{ components, weights, means, sigmas \} or left out/));
    it('a BigInt among the keypoints', () =>
      rejects([1, 2n, 3] as never, ok, /keypoints\[1\] is 2n: numbers expected/));
    it('empty input with a bad aggregate or camera: refused as a non-empty call would be', async () => {
      await rejects(
        new Float32Array(0),
        { ...ok, aggregate: 'median' as never },
        /aggregate must be "mean" or "reprojection"/,
      );
      await rejects(new Float32Array(0), { ...ok, camera: { focal: -1 } }, /camera.focal must be a positive number/);
    });
    it('negative eta', () => rejects(kp, { ...ok, eta: -0.1 }, /eta must be a number in \[0, 1\], got -0.1/));
    // Past 1 the step's noise exceeds the next timestep's share: NaN poses at 1e200.
    it('eta above 1', () => rejects(kp, { ...ok, eta: 1.5 }, /eta must be a number in \[0, 1\], got 1.5/));
    it('eta not a number', () => rejects(kp, { ...ok, eta: '0.5' as never }, /eta must be a number in \[0, 1\]/));
    it('unknown init', () => rejects(kp, { ...ok, init: 'random' }, /init must be "paper" or "official"/));
    it('bad seed', () => rejects(kp, { ...ok, seed: -3 }, /seed must be an integer/));
    it('confidence of the wrong length', () =>
      rejects(kp, { ...ok, confidence: new Float32Array(5) }, /confidence has 5 values, expected 34/));
    it('confidence outside [0, 1]', () =>
      rejects(kp, { ...ok, confidence: new Float32Array(34).fill(1.5) }, /confidence\[0\] = 1.5 is outside \[0, 1\]/));
    it('gmm with zero weights', () =>
      rejects(
        kp,
        {
          ...ok,
          gmm: { components: 1, weights: new Float32Array(34), means: kp, sigmas: new Float32Array(68).fill(3) },
        },
        /gmm.weights of pose 0 joint 0 sum to 0/,
      ));
    it('gmm with a non-positive sigma', () =>
      rejects(
        kp,
        {
          ...ok,
          gmm: { components: 1, weights: new Float32Array(34).fill(1), means: kp, sigmas: new Float32Array(68) },
        },
        /gmm.sigmas\[0..1\] must be at least 0.000001 px .*got 0, 0/,
      ));
    // The root fit weighs joints by inverse variance in f32: 1e-17 px gave a NaN root.
    it('gmm with a sigma below a millionth of a pixel', () =>
      rejects(
        kp,
        {
          ...ok,
          gmm: {
            components: 1,
            weights: new Float32Array(34).fill(1),
            means: kp,
            sigmas: new Float32Array(68).fill(1e-17),
          },
        },
        /gmm.sigmas\[0..1\] must be at least 0.000001 px/,
      ));
    it('unknown executor', () => rejects(kp, { ...ok, executor: 'quantum' }, /unknown executor "quantum"/));
    it('a keypoint far outside the image (wrong image size, other units, garbage)', () =>
      rejects(
        kp.map((v, i) => (i === 9 ? 1e6 : v)),
        ok,
        /keypoints\[8..9\] = \(\S+, 1000000\) lies more than 2 image sizes outside the 640x480 image/,
      ));
    it('every keypoint in pixels of a 100x larger image', () =>
      rejects(
        kp.map((v) => v * 100),
        ok,
        /keypoints\[0..1\] = .* lies more than 2 image sizes outside the 640x480 image: is imageSize right/,
      ));
    /** Options with a one-component mixture per joint of the two poses. */
    const withGmm = (means: Float32Array, sigmas: Float32Array): LiftOptions => ({
      ...ok,
      gmm: { components: 1, weights: new Float32Array(34).fill(1), means, sigmas },
    });
    it('a mixture mean far outside the image', () =>
      rejects(
        kp,
        withGmm(
          kp.map((v, i) => (i === 2 ? -2e4 : v)),
          new Float32Array(68).fill(3),
        ),
        /gmm.means\[2..3\] = \(-20000, \S+\) lies more than 2 image sizes outside/,
      ));
    it('a mixture std wider than 2 image sizes', () =>
      rejects(
        kp,
        withGmm(kp, new Float32Array(68).fill(3).fill(1e5, 6, 8)),
        /gmm.sigmas\[6..7\] = 100000, 100000 are wider than 2 image sizes \(640x480\)/,
      ));
    it('keypoints up to 2 image sizes outside the image lift (a cut-off limb extrapolated by the detector)', async () => {
      const near = kp.map((v, i) => (i === 6 ? -2 * 640 : i === 7 ? 3 * 480 : v));
      const r = await model.lift(near, ok);
      expect(r.poses.every(Number.isFinite)).to.equal(true);
    });
    it("an undetected joint (confidence 0) may lie up to 20 image sizes out (a close-up's filled-in legs), not farther", async () => {
      const confidence = new Float32Array(34).fill(0.9);
      confidence[3] = 0;
      const legs = kp.map((v, i) => (i === 7 ? 15 * 480 : v));
      const r = await model.lift(legs, { ...ok, confidence });
      expect(r.poses.every(Number.isFinite)).to.equal(true);
      await rejects(
        legs,
        { ...ok, confidence: confidence.map((c, i) => (i === 3 ? 0.5 : c)) },
        /keypoints\[6..7\] = \(\S+, 7200\) lies more than 2 image sizes outside the 640x480 image/,
      );
      await rejects(
        kp.map((v, i) => (i === 7 ? 22 * 480 : v)),
        { ...ok, confidence },
        /keypoints\[6..7\] = \(\S+, 10560\) lies more than 20 image sizes outside the 640x480 image/,
      );
    });

    it('an empty input gives an empty result', async () => {
      const r = await model.lift([], { ...ok, hypotheses: 3, samples: true });
      expect([r.poses.length, r.spread.length, r.samples.length, r.hypotheses]).to.deep.equal([0, 0, 0, 3]);
    });

    it('plain arrays of numbers give the bits of Float32Arrays', async () => {
      const conf = new Float32Array(34).fill(0.8);
      const a = await model.lift(kp, { ...ok, confidence: conf, hypotheses: 2, samples: true });
      // `samples` is typed present when asked for: no assertion needed to read it.
      const b = await model.lift(Array.from(kp), { ...ok, confidence: Array.from(conf), hypotheses: 2, samples: true });
      expect(Array.from(b.samples)).to.deep.equal(Array.from(a.samples));
      expect(Array.from(b.poses)).to.deep.equal(Array.from(a.poses));
    });

    it('accepts zero-confidence joints', async () => {
      // (That they get a wider 2D prior is checked on the prepared mixture in test/pose.)
      const conf = new Float32Array(34).fill(1);
      for (let j = 0; j < 17; j++) conf[17 + j] = 0;
      const r = await model.lift(kp, { ...ok, confidence: conf, hypotheses: 4, init: 'paper' });
      expect(r.spread.every(Number.isFinite)).to.equal(true);
      expect(r.spread.subarray(17).some((v) => v > 0)).to.equal(true);
    });
  });
}

badInputSuite('cpu', 'cpu');

describe('load options', () => {
  it('an unknown key, a bad backend or a non-object is an InputError before anything is loaded', async () => {
    for (const [options, pattern] of [
      [{ backend: 'cpu', maxbatch: 8 }, /unknown option "maxbatch"/],
      [{ backend: 'tpu' }, /backend must be "gpu" or "cpu"/],
      [null, /options must be an object/],
      [{ backend: 'cpu', profile: 'yes' }, /profile must be true or false, got "yes"/],
    ] as const) {
      let caught: unknown;
      try {
        await DiffPose.load(options as never);
      } catch (e) {
        caught = e;
      }
      expect(caught, JSON.stringify(options)).to.be.instanceOf(InputError);
      expect((caught as Error).message).to.match(pattern);
    }
  });

  it('weights of a type it cannot read are an InputError; bytes in any view and file: URLs load the same file', async () => {
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    for (const [weights, pattern] of [
      [null, /weights must be the file's bytes .* got null/],
      [42, /weights must be the file's bytes .* got number/],
      [{}, /weights must be the file's bytes .* got object/],
      [detached, /detached/],
      ['file://%zz', /not a valid file: URL|cannot read weights file/],
    ] as const) {
      let caught: unknown;
      try {
        await DiffPose.load({ backend: 'cpu', weights: weights as never });
      } catch (e) {
        caught = e;
      }
      expect((caught as DiffPoseError)?.code, String(weights)).to.be.oneOf(['INPUT', 'WEIGHTS']);
      expect((caught as Error).message).to.match(pattern);
    }
    const bytes = smallWeights();
    const kp = someKeypoints(1, 3);
    const want = await (await DiffPose.load({ backend: 'cpu', weights: bytes })).lift(kp, { imageSize: [640, 480] });
    const copy = new Uint8Array(bytes.length + 8);
    copy.set(bytes, 8);
    const shared = new SharedArrayBuffer(bytes.length);
    new Uint8Array(shared).set(bytes);
    for (const weights of [new DataView(copy.buffer, 8, bytes.length), shared]) {
      const model = await DiffPose.load({ backend: 'cpu', weights: weights as never });
      expect(Array.from((await model.lift(kp, { imageSize: [640, 480] })).poses)).to.deep.equal(Array.from(want.poses));
    }
    const file = new URL('../../weights/diffpose.safetensors', import.meta.url);
    const byUrl = await DiffPose.load({ backend: 'cpu', weights: file });
    const byText = await DiffPose.load({ backend: 'cpu', weights: file.href });
    expect(Array.from((await byText.lift(kp, { imageSize: [640, 480] })).poses)).to.deep.equal(
      Array.from((await byUrl.lift(kp, { imageSize: [640, 480] })).poses),
    );
  });
});

describe('error messages', () => {
  it("are one printable line whatever they quote: a driver's several-line report, an abort reason, a path", () => {
    const errors = [
      new GpuError(
        'GPU_VALIDATION',
        'fused lift: [Buffer] used in submit while destroyed.\n - While calling [Queue].Submit()\n',
      ),
      new AbortedError(new Error('line1\r\nline2\u2028line3')),
      new WeightsError('cannot read weights file "a\nb\u001b[31m"'),
    ];
    expect(errors.map((e) => e.message)).to.deep.equal([
      'fused lift: [Buffer] used in submit while destroyed. | - While calling [Queue].Submit()',
      'the call was aborted: line1 | line2 | line3',
      'cannot read weights file "a | b\\u001b[31m"',
    ]);
  });
});
