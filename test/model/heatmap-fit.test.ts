import { expect } from 'chai';
import { fitHeatmapsRef, FIT_STRIDE, HEATMAP_FIT } from '../../src/model/heatmap-fit.js';
import { renderHeatmap, type HeatmapBlob } from '../../src/pose/heatmap-render.js';

const W = 48,
  H = 64;

/** Fits one rendered heatmap over the box [0, 0, W, H] (image pixel = heatmap coordinate + 0.5). */
function fitOne(blobs: HeatmapBlob[], components: number, floor = 0): Float32Array {
  const hm = new Float32Array(W * H).fill(floor);
  renderHeatmap(hm, 0, W, H, blobs);
  return fitHeatmapsRef({
    heatmaps: hm,
    poses: 1,
    joints: 1,
    width: W,
    height: H,
    components,
    boxes: new Float32Array([0, 0, W, H]),
  });
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
    const fit = fitOne([{ weight: 1, x: 20.3, y: 30.7, sx: 2, sy: 2.5 }], 3);
    expect(fit[0]).to.equal(1);
    expect(fit[FIT_STRIDE]).to.equal(0);
    expect(fit[2 * FIT_STRIDE]).to.equal(0);
    expect(Array.from(fit.subarray(FIT_STRIDE + 1, 2 * FIT_STRIDE))).to.deep.equal(Array.from(fit.subarray(1, 5)));
    expect(fit[3]).to.be.closeTo(2, 0.05);
    expect(fit[4]).to.be.closeTo(2.5, 0.05);
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
    });
    expect(fit[1]).to.be.closeTo(100 + 10.5 * 4, 1e-3);
    expect(fit[2]).to.be.closeTo(50 + 20.5 * 3, 1e-3);
    expect(fit[3]).to.be.closeTo(8, 0.05);
    expect(fit[4]).to.be.closeTo(6, 0.05);
  });

  it('fits a flat heatmap (or an all-zero one) with one component over the box: centre, std of a uniform', function () {
    for (const value of [0, 0.3]) {
      const fit = fitHeatmapsRef({
        heatmaps: new Float32Array(W * H).fill(value),
        poses: 1,
        joints: 1,
        width: W,
        height: H,
        components: 2,
        boxes: new Float32Array([0, 0, W, H]),
      });
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
    const fit = fitHeatmapsRef({
      heatmaps: hm,
      poses: 1,
      joints: 1,
      width: W,
      height: H,
      components: 1,
      boxes: new Float32Array([0, 0, W, H]),
    });
    expect(Array.from(fit)).to.deep.equal(Array.from(clean));
  });

  it('floors the variance: a single bright pixel gives std 0.5 heatmap px', function () {
    const hm = new Float32Array(W * H);
    hm[30 * W + 20] = 1;
    const fit = fitHeatmapsRef({
      heatmaps: hm,
      poses: 1,
      joints: 1,
      width: W,
      height: H,
      components: 1,
      boxes: new Float32Array([0, 0, W, H]),
    });
    expect(Array.from(fit)).to.deep.equal([1, 20.5, 30.5, Math.sqrt(HEATMAP_FIT.varianceFloor), 0.5]);
  });
});
