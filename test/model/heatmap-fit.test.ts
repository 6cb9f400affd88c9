import { expect } from 'chai';
import { fitHeatmapsRef, FIT_STRIDE, HEATMAP_FIT } from '../../src/model/heatmap-fit.js';
import { renderHeatmap, type HeatmapBlob } from '../../src/pose/heatmap-render.js';

const W = 48,
  H = 64;

/** Fits one rendered heatmap over the box [0, 0, W, H] (image pixel = heatmap coordinate + 0.5). */
/** One joint's map [H, W] fitted over a box that is the map itself (heatmap pixels). */
function fitMap(heatmaps: Float32Array, components: number, targetSigma?: number): Float32Array {
  return fitHeatmapsRef({
    heatmaps,
    poses: 1,
    joints: 1,
    width: W,
    height: H,
    components,
    boxes: new Float32Array([0, 0, W, H]),
    targetSigma,
  });
}

function fitOne(blobs: HeatmapBlob[], components: number, floor = 0, targetSigma?: number): Float32Array {
  const hm = new Float32Array(W * H).fill(floor);
  renderHeatmap(hm, 0, W, H, blobs);
  return fitMap(hm, components, targetSigma);
}

/** A detector's blob: a belief of std (bx, by) at (x, y) convolved with the std-2 target kernel. */
function detectorBlob(weight: number, x: number, y: number, bx: number, by: number): HeatmapBlob {
  const t = HEATMAP_FIT.targetSigma;
  return { weight, x, y, sx: Math.hypot(bx, t), sy: Math.hypot(by, t) };
}

/** Each true blob matched to the nearest fitted component: mean within 0.25 heatmap px, weight within 0.05. */
function expectRecovered(blobs: HeatmapBlob[], fit: Float32Array, what: string): void {
  const K = fit.length / FIT_STRIDE;
  const used = new Set<number>();
  for (const b of blobs) {
    let best = -1,
      bestD = Infinity;
    for (let k = 0; k < K; k++) {
      if (used.has(k) || fit[k * FIT_STRIDE] === 0) continue;
      const d = Math.hypot(fit[k * FIT_STRIDE + 1] - 0.5 - b.x, fit[k * FIT_STRIDE + 2] - 0.5 - b.y);
      if (d < bestD) [best, bestD] = [k, d];
    }
    expect(best, `${what}: a component for the blob at (${b.x}, ${b.y})`).to.be.at.least(0);
    used.add(best);
    expect(bestD, `${what}: mean error of the blob at (${b.x}, ${b.y}), heatmap px`).to.be.below(0.25);
    expect(Math.abs(fit[best * FIT_STRIDE] - b.weight), `${what}: weight of the blob at (${b.x}, ${b.y})`).to.be.below(
      0.05,
    );
  }
}

const CASES: Array<[string, HeatmapBlob[]]> = [
  ['K=1', [{ weight: 1, x: 20.3, y: 30.7, sx: 2, sy: 2.5 }]],
  ['K=1 wide (an occluded joint)', [{ weight: 1, x: 25.6, y: 28.2, sx: 6, sy: 7 }]],
  [
    'K=2 apart',
    [
      { weight: 0.7, x: 15.2, y: 20.4, sx: 2, sy: 2 },
      { weight: 0.3, x: 30.6, y: 40.1, sx: 3, sy: 2 },
    ],
  ],
  [
    'K=2 overlapping (3 std apart)',
    [
      { weight: 0.6, x: 20.2, y: 30.4, sx: 2, sy: 2 },
      { weight: 0.4, x: 26.3, y: 31.1, sx: 2, sy: 2 },
    ],
  ],
  [
    'K=3, two overlapping',
    [
      { weight: 0.5, x: 10.2, y: 12.4, sx: 2, sy: 2 },
      { weight: 0.3, x: 16.3, y: 13.1, sx: 2, sy: 2.5 },
      { weight: 0.2, x: 30, y: 50, sx: 4, sy: 3 },
    ],
  ],
  [
    'K=3 in a row',
    [
      { weight: 0.4, x: 12.7, y: 40.2, sx: 2.2, sy: 2 },
      { weight: 0.35, x: 19.1, y: 41.0, sx: 2, sy: 2 },
      { weight: 0.25, x: 25.8, y: 39.6, sx: 2, sy: 2.2 },
    ],
  ],
];

describe('heatmap fit (CPU reference)', function () {
  for (const [name, blobs] of CASES) {
    it(`gives back a known mixture: ${name}`, function () {
      expectRecovered(blobs, fitOne(blobs, blobs.length), name);
    });
  }

  it('keeps the means and weights under a detector-like floor (the background component)', function () {
    const blobs = CASES[3][1];
    // A floor of 2% of the lower peak on every pixel: mass about half of the blobs'.
    const floor = (0.02 * 0.4) / (2 * Math.PI * 4);
    expectRecovered(blobs, fitOne(blobs, 2, floor), 'overlapping on a floor');
  });

  it('gives a unimodal heatmap one component whatever K (the others weight 0, repeating it)', function () {
    const fit = fitOne([detectorBlob(1, 20.3, 30.7, 0.8, 1.5)], 3);
    expect(fit[0]).to.equal(1);
    expect(fit[FIT_STRIDE]).to.equal(0);
    expect(fit[2 * FIT_STRIDE]).to.equal(0);
    expect(Array.from(fit.subarray(FIT_STRIDE + 1, 2 * FIT_STRIDE))).to.deep.equal(Array.from(fit.subarray(1, 5)));
    expect(fit[3]).to.be.closeTo(0.8, 0.02);
    expect(fit[4]).to.be.closeTo(1.5, 0.02);
  });

  it("returns the detector's belief: the target kernel's variance off each component's (floored)", function () {
    // Beliefs from sure (0.3 px) to occluded (5 px), one with a second mode.
    const blobs = [detectorBlob(0.65, 14.2, 20.5, 0.3, 1), detectorBlob(0.35, 32.6, 44.1, 5, 3)];
    const fit = fitOne(blobs, 2);
    expectRecovered(blobs, fit, 'belief mixture');
    const byX = [0, 1].sort((a, b) => fit[a * FIT_STRIDE + 1] - fit[b * FIT_STRIDE + 1]);
    expect(fit[byX[0] * FIT_STRIDE + 3]).to.be.closeTo(0.3, 0.02);
    expect(fit[byX[0] * FIT_STRIDE + 4]).to.be.closeTo(1, 0.02);
    expect(fit[byX[1] * FIT_STRIDE + 3]).to.be.closeTo(5, 0.1);
    expect(fit[byX[1] * FIT_STRIDE + 4]).to.be.closeTo(3, 0.1);
    // targetSigma 0: the blobs' own widths.
    const raw = fitOne(blobs, 2, 0, 0);
    expect(raw[byX[0] * FIT_STRIDE + 3]).to.be.closeTo(Math.hypot(0.3, 2), 0.02);
    expect(raw[byX[1] * FIT_STRIDE + 4]).to.be.closeTo(Math.hypot(3, 2), 0.05);
    // The means and weights do not depend on it.
    expect(Array.from(raw).filter((_, i) => i % FIT_STRIDE < 3)).to.deep.equal(
      Array.from(fit).filter((_, i) => i % FIT_STRIDE < 3),
    );
    // A blob no wider than the kernel (a sure joint): the floor, std 0.1 heatmap px.
    const sure = fitOne([{ weight: 1, x: 20.3, y: 30.7, sx: 2, sy: 1.5 }], 1);
    expect(sure[3]).to.be.closeTo(Math.sqrt(HEATMAP_FIT.beliefFloor), 1e-6);
    expect(sure[4]).to.be.closeTo(Math.sqrt(HEATMAP_FIT.beliefFloor), 1e-6);
    // A wider kernel (a detector trained with std 3): more comes off.
    const wide = fitOne([detectorBlob(1, 20.3, 30.7, 2.5, 2.5)], 1, 0, 1);
    expect(wide[3]).to.be.closeTo(Math.sqrt(2.5 ** 2 + 4 - 1), 0.02);
  });

  it('maps through the box: image = left + (x + 0.5) * box width / heatmap width', function () {
    const hm = new Float32Array(W * H);
    renderHeatmap(hm, 0, W, H, [{ weight: 1, x: 10, y: 20, sx: 2, sy: 2 }]);
    const fit = fitHeatmapsRef({
      heatmaps: hm,
      poses: 1,
      joints: 1,
      width: W,
      height: H,
      components: 1,
      boxes: new Float32Array([100, 50, 100 + 4 * W, 50 + 3 * H]),
      targetSigma: 0,
    });
    expect(fit[1]).to.be.closeTo(100 + 10.5 * 4, 1e-3);
    expect(fit[2]).to.be.closeTo(50 + 20.5 * 3, 1e-3);
    expect(fit[3]).to.be.closeTo(8, 0.05);
    expect(fit[4]).to.be.closeTo(6, 0.05);
  });

  it('fits a flat heatmap (or an all-zero one) with one component over the box: centre, std of a uniform', function () {
    for (const value of [0, 0.3]) {
      const fit = fitMap(new Float32Array(W * H).fill(value), 2);
      expect(Array.from(fit.subarray(0, 5))).to.deep.equal(
        Array.from(new Float32Array([1, W / 2, H / 2, W / Math.sqrt(12), H / Math.sqrt(12)])),
      );
      expect(fit[FIT_STRIDE]).to.equal(0);
    }
  });

  it('reads negative and non-finite values as no mass', function () {
    const blobs = [{ weight: 1, x: 20.3, y: 30.7, sx: 2, sy: 2.5 }];
    const clean = fitOne(blobs, 1);
    const hm = new Float32Array(W * H);
    renderHeatmap(hm, 0, W, H, blobs);
    hm[0] = -5;
    hm[1] = NaN;
    hm[W * H - 1] = -Infinity;
    expect(Array.from(fitMap(hm, 1))).to.deep.equal(Array.from(clean));
  });

  it('floors the variance: a single bright pixel gives std 0.5 heatmap px (0.1 once the target kernel is taken off)', function () {
    const hm = new Float32Array(W * H);
    hm[30 * W + 20] = 1;
    const fit = fitMap(hm, 1, 0);
    expect(Array.from(fit)).to.deep.equal([1, 20.5, 30.5, Math.sqrt(HEATMAP_FIT.varianceFloor), 0.5]);
    const floor = Math.fround(Math.sqrt(HEATMAP_FIT.beliefFloor));
    expect(Array.from(fitMap(hm, 1))).to.deep.equal([1, 20.5, 30.5, floor, floor]);
  });
});
