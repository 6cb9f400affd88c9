import { expect } from 'chai';
import { DiffPose } from '../../src/diffpose.js';
import { InputError } from '../../src/errors.js';
import { simulateHeatmaps } from '../../src/eval/heatmap-sim.js';
import { gmmKeypoints, mixtureConfidence } from '../../src/pose/heatmaps.js';
import { someKeypoints } from '../helpers/models.js';
import { testGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/close.js';
import { readBack } from '../kernels/harness.js';

const W = 48,
  H = 64;

/** Simulated ambiguous heatmaps of n people in a 640 x 480 image, and their boxes. */
function people(n: number): { heatmaps: Float32Array; boxes: Float32Array } {
  const kp = someKeypoints(n, 3);
  const heatmaps = new Float32Array(n * 17 * W * H),
    boxes = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const conf = Array.from({ length: 17 }, (_, j) => (j === 3 || j === 13 ? 0.2 : 0.9));
    const s = simulateHeatmaps(kp.subarray(i * 34, (i + 1) * 34), conf, 100 + i);
    heatmaps.set(s.heatmaps, i * 17 * W * H);
    boxes.set(s.box, i * 4);
  }
  return { heatmaps, boxes };
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

describe('heatmap input: fitHeatmaps and lift({ heatmaps })', function () {
  const { heatmaps, boxes } = people(3);
  const hm = { width: W, height: H, boxes, components: 3 };
  const sampling = { imageSize: [640, 480] as const, hypotheses: 4, seed: 5, samples: true as const };

  describe('CPU-only model', function () {
    let model: DiffPose;
    before(async () => {
      model = await DiffPose.load({ backend: 'cpu' });
    });
    after(() => model.dispose());

    it('a lift from heatmaps equals, bit for bit, a lift from the mixtures fitHeatmaps returns', async function () {
      const gmm = await model.fitHeatmaps(heatmaps, hm);
      expect(gmm.components).to.equal(3);
      expect(gmm.weights.length).to.equal(3 * 17 * 3);
      // The simulated left/right confusions give some joints a second component.
      expect(gmm.weights.filter((w) => w > 0.1 && w < 0.9).length).to.be.greaterThan(0);
      const a = await model.lift(heatmaps, { ...sampling, heatmaps: hm });
      const b = await model.lift(gmmKeypoints(gmm), { ...sampling, gmm });
      const c = await model.lift([], { ...sampling, gmm });
      for (const r of [b, c]) {
        expect(bits(r.poses)).to.equal(bits(a.poses));
        expect(bits(r.samples)).to.equal(bits(a.samples));
        expect(bits(r.spread)).to.equal(bits(a.spread));
      }
    });

    it('a mixture without confidences lifts with the confidences its widths imply (the lifter reads them): a lift with those given, not with 1s', async function () {
      const gmm = await model.fitHeatmaps(heatmaps, hm);
      const points = gmmKeypoints(gmm);
      const c = mixtureConfidence(gmm, points);
      // The simulator drew each blob from a confidence (0.2 for joints 3 and 13, 0.9 for the
      // others, some of which it made occluded or confused with their partner): a sharp blob gives
      // that confidence back, the unsure and ambiguous ones read low.
      for (let n = 0; n < 3; n++) {
        const own = c.subarray(n * 17, (n + 1) * 17);
        for (const j of [3, 13]) expect(own[j], `person ${n} joint ${j}`).to.be.below(0.5);
        const sure = Array.from(own)
          .filter((_, j) => j !== 3 && j !== 13)
          .sort((a, b) => a - b);
        expect(sure[Math.floor(sure.length / 2)], `person ${n}: median of the sure joints`).to.be.closeTo(0.9, 0.03);
      }
      const implied = await model.lift(points, { ...sampling, gmm });
      const given = await model.lift(points, { ...sampling, gmm, confidence: c });
      const ones = await model.lift(points, { ...sampling, gmm, confidence: new Float32Array(51).fill(1) });
      expect(bits(implied.poses)).to.equal(bits(given.poses));
      expect(bits(implied.poses)).to.not.equal(bits(ones.poses));
    });

    it('mixtureConfidence: exp(-std / (0.03 x person height)) of the moment-matched std, clamped to [0.05, 1]', () => {
      // One person 300 px tall (joint 10 at y = 0, joint 3 at y = 300); two components per joint.
      const points = new Float32Array(34).fill(150);
      points[2 * 10 + 1] = 0;
      points[2 * 3 + 1] = 300;
      const weights = new Float32Array(34),
        means = new Float32Array(68),
        sigmas = new Float32Array(68).fill(1e-3);
      for (let j = 0; j < 17; j++) {
        weights.set([2, 0], 2 * j); // unnormalised weights: the second component has none
        means.set([100, 100, 500, 500], 4 * j);
      }
      sigmas.set([9, 9], 4 * 1); // joint 1: one Gaussian of std 9 px = 0.03 x 300
      weights.set([1, 1], 2 * 2); // joint 2: two sharp modes 400 px apart in x and y: std 200 per axis
      sigmas.set([0, 3, 0, 0], 4 * 4); // joint 4: std 0 across, 3 along: mean variance 4.5
      const c = mixtureConfidence({ components: 2, weights, means, sigmas }, points);
      expect(c[0]).to.be.closeTo(Math.exp(-1e-3 / 9), 1e-6);
      expect(c[1]).to.be.closeTo(Math.exp(-1), 1e-6);
      expect(c[2]).to.equal(Math.fround(0.05)); // exp(-200 / 9), clamped
      expect(c[4]).to.be.closeTo(Math.exp(-Math.sqrt(4.5) / 9), 1e-6);
    });

    it('refuses bad heatmaps with one-line InputErrors and stays usable', async function () {
      const bad = (mutate: (h: Float32Array) => void) => {
        const h = heatmaps.slice();
        mutate(h);
        return h;
      };
      const cases: Array<[string, Float32Array, object, RegExp]> = [
        ['wrong length', heatmaps.subarray(1), hm, /not a multiple of/],
        ['NaN', bad((h) => (h[W * H * 5 + 7] = NaN)), hm, /person 0 keypoint 5\) is NaN/],
        [
          'all negative',
          bad((h) => h.fill(-0.1, W * H * 17, W * H * 18)),
          hm,
          /person 1 keypoint 0 has no positive value/,
        ],
        ['all zero', bad((h) => h.fill(0, 0, W * H)), hm, /person 0 keypoint 0 has no positive value/],
        ['box inverted', heatmaps, { ...hm, boxes: boxes.map((v, i) => (i === 2 ? -1 : v)) }, /box 0 is/],
        ['box count', heatmaps, { ...hm, boxes: boxes.subarray(4) }, /boxes has 8 values, expected 12/],
        ['components', heatmaps, { ...hm, components: 6 }, /components must be an integer in \[1, 5\]/],
        ['size', heatmaps, { ...hm, width: 1 }, /width must be an integer in \[2, 512\]/],
        ['targetSigma', heatmaps, { ...hm, targetSigma: -1 }, /targetSigma must be a number .* in \[0, 64\]/],
        ['targetSigma NaN', heatmaps, { ...hm, targetSigma: NaN }, /targetSigma .* got NaN/],
      ];
      for (const [what, h, o, message] of cases) {
        for (const call of [
          () => model.fitHeatmaps(h, o as typeof hm),
          () => model.lift(h, { ...sampling, heatmaps: o as typeof hm }),
        ]) {
          const err = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, what).to.be.instanceOf(InputError);
          expect((err as Error).message, what).to.match(message);
          expect((err as Error).message).to.not.include('\n');
        }
      }
      const err = await model
        .lift(heatmaps, { ...sampling, heatmaps: hm, confidence: new Float32Array(51) })
        .catch((e: Error) => e);
      expect((err as Error).message).to.match(/leave out gmm and confidence/);
      const r = await model.lift(heatmaps, { ...sampling, heatmaps: hm });
      expect(r.poses.every(Number.isFinite)).to.equal(true);
    });

    it("takes the detector's target kernel off the blobs' variances (targetSigma, default 2 heatmap px)", async function () {
      const belief = await model.fitHeatmaps(heatmaps, hm);
      const blob = await model.fitHeatmaps(heatmaps, { ...hm, targetSigma: 0 });
      expect(Array.from(belief.means)).to.deep.equal(Array.from(blob.means));
      expect(Array.from(belief.weights)).to.deep.equal(Array.from(blob.weights));
      // Per component and axis, in heatmap px: belief variance = max(blob variance - 4, 0.01).
      // (Human3.6M maps: every joint's mixture is its own map's fit, none derived.)
      let checked = 0;
      for (let i = 0; i < belief.sigmas.length; i++) {
        const n = Math.floor(i / (17 * 6)),
          axis = i % 2;
        const px = (boxes[n * 4 + 2 + axis] - boxes[n * 4 + axis]) / (axis ? H : W);
        const want = Math.sqrt(Math.max((blob.sigmas[i] / px) ** 2 - 4, 0.01)) * px;
        expect(belief.sigmas[i]).to.be.closeTo(want, 1e-3 * want);
        checked++;
      }
      expect(checked).to.equal(3 * 17 * 3 * 2);
      // The simulated sure joints' blobs are 2.0-2.1 px: their beliefs are a few tenths of a heatmap pixel.
      expect(belief.sigmas[0]).to.be.below(blob.sigmas[0] / 3);
    });

    it('maps heatmaps of another format to Human3.6M mixtures (derived joints: one moment-matched Gaussian)', async function () {
      // COCO-17 heatmaps made from the same people's H36M maps: only the order and derived joints differ.
      const g = await model.fitHeatmaps(heatmaps.subarray(0, 17 * W * H), {
        ...hm,
        boxes: boxes.subarray(0, 4),
        format: 'coco17',
      });
      // Pelvis (0) = mid-hips (COCO 11, 12): one component.
      expect(Array.from(g.weights.subarray(0, 3))).to.deep.equal([1, 0, 0]);
      expect(g.sigmas.every((v) => v > 0)).to.equal(true);
    });
  });

  describe('GPU', function () {
    let model: DiffPose;
    before(async function () {
      await testGpu(this);
      model = await DiffPose.load();
    });
    after(() => model?.dispose());

    it('fitHeatmaps on the GPU equals the CPU reference (weights 1e-3, means and stds 1e-2 px)', async function () {
      const gpu = await model.fitHeatmaps(heatmaps, hm);
      const cpu = await model.fitHeatmaps(heatmaps, { ...hm, executor: 'cpu' });
      expectClose(gpu.weights, cpu.weights, 1e-3, 0, 'weights');
      expectClose(gpu.means, cpu.means, 1e-2, 0, 'means');
      expectClose(gpu.sigmas, cpu.sigmas, 1e-2, 0, 'sigmas');
    });

    for (const executor of ['fused', 'per-op'] as const) {
      it(`${executor}: a lift from heatmaps equals, bit for bit, a lift from fitHeatmaps' mixtures`, async function () {
        const gmm = await model.fitHeatmaps(heatmaps, hm);
        const a = await model.lift(heatmaps, { ...sampling, heatmaps: hm, executor });
        const b = await model.lift(gmmKeypoints(gmm), { ...sampling, gmm, executor });
        expect(bits(a.poses)).to.equal(bits(b.poses));
        expect(bits(a.samples)).to.equal(bits(b.samples));
      });
    }

    it('liftBuffers from a heatmap buffer: one more dispatch, the lift of the host heatmaps', async function () {
      const { device } = model.gpu!;
      const buffer = device.createBuffer({
        label: 'test: heatmaps',
        size: heatmaps.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(buffer, 0, heatmaps as Float32Array<ArrayBuffer>);
      const out = (floats: number) =>
        device.createBuffer({
          label: 'test: out',
          size: Math.ceil(floats / 4) * 16,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
        });
      const poses = out(3 * 51),
        spread = out(3 * 17);
      await model.liftBuffers({
        heatmaps: { buffer, ...hm },
        poses,
        spread,
        count: 3,
        imageSize: [640, 480],
        hypotheses: 4,
        seed: 5,
      });
      expect(model.lastCall('fused')!.dispatches).to.equal(4);
      const want = await model.lift(heatmaps, { ...sampling, heatmaps: hm });
      const got = await readBack(model.gpu!, poses, 3 * 51);
      // The GPU converts the fit to uv units in f32, the host in f64: equal to rounding, not bits.
      expectClose(got, want.poses, 2e-4, 0, 'poses');
      expectClose(await readBack(model.gpu!, spread, 3 * 17), want.spread, 2e-4, 0, 'spread');
      // The kernel setting reaches the buffer path too.
      await model.liftBuffers({
        heatmaps: { buffer, ...hm, targetSigma: 0 },
        poses,
        count: 3,
        imageSize: [640, 480],
        hypotheses: 4,
        seed: 5,
      });
      const raw = await model.lift(heatmaps, { ...sampling, heatmaps: { ...hm, targetSigma: 0 } });
      const gotRaw = await readBack(model.gpu!, poses, 3 * 51);
      expectClose(gotRaw, raw.poses, 2e-4, 0, 'poses, targetSigma 0');
      expect(bits(raw.poses)).to.not.equal(bits(want.poses));
      const err = await model
        .liftBuffers({ heatmaps: { buffer, ...hm, width: 64 }, poses, count: 3, imageSize: [640, 480] })
        .catch((e: Error) => e);
      expect(err).to.be.instanceOf(InputError);
      for (const b of [buffer, poses, spread]) b.destroy();
    });
  });
});
