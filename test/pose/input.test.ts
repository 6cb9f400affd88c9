import { expect } from 'chai';
import { prepareInput, sigmaFromConfidence } from '../../src/pose/input.js';
import { FORMATS } from '../../src/pose/formats.js';

describe('input preparation', () => {
  it('normalises pixels by the image width: uv = p / w * 2 - [1, h / w]', () => {
    const kp = new Float32Array(34);
    kp[0] = 0;
    kp[1] = 0; // top-left
    kp[2] = 640;
    kp[3] = 480; // bottom-right
    kp[4] = 320;
    kp[5] = 240; // centre
    const b = prepareInput({ keypoints: kp, imageSize: [640, 480] });
    expect(Array.from(b.uv.subarray(0, 6))).to.deep.equal([-1, -0.75, 1, 0.75, 0, 0]);
  });

  it('derives one Gaussian per joint from the confidence, wider when less confident', () => {
    const kp = new Float32Array(34).fill(100);
    const conf = new Float32Array(17).fill(1);
    conf[3] = 0;
    const b = prepareInput({ keypoints: kp, imageSize: [640, 480], confidence: conf });
    expect(b.components).to.equal(1);
    expect(b.gmm[0]).to.equal(1);
    expect(b.gmm[3]).to.be.closeTo(0.001, 1e-7);
    expect(b.gmm[3 * 5 + 3]).to.be.closeTo(0.091, 1e-7);
    expect(sigmaFromConfidence(0.5)).to.be.closeTo(0.001 + 0.0075 + 0.075 / 64, 1e-12);
  });

  it('converts a caller mixture to uv units and normalises its weights', () => {
    const kp = new Float32Array(34).fill(320);
    const weights = new Float32Array(34).fill(1);
    weights[0] = 3; // joint 0: weights 3, 1 -> 0.75, 0.25
    const means = new Float32Array(68).fill(320);
    const sigmas = new Float32Array(68).fill(32);
    const b = prepareInput({ keypoints: kp, imageSize: [640, 480], gmm: { components: 2, weights, means, sigmas } });
    expect(b.components).to.equal(2);
    expect(b.gmm[0]).to.equal(0.75);
    expect(b.gmm[5]).to.equal(0.25);
    expect(b.gmm[3]).to.be.closeTo(0.1, 1e-7); // 32 px of 640 -> 0.1 in uv units (width = 2)
  });

  it('maps COCO-17 to Human3.6M with derived pelvis, spine, thorax, skull base and head', () => {
    const coco = new Float32Array(34);
    for (let k = 0; k < 17; k++) {
      coco[2 * k] = k * 10;
      coco[2 * k + 1] = k;
    }
    const conf = new Float32Array(17).map((_, k) => 1 - k / 100);
    const b = prepareInput({ keypoints: coco, imageSize: [200, 200], format: 'coco17', confidence: conf });
    const px = (j: number) => [(b.uv[2 * j] + 1) * 100, (b.uv[2 * j + 1] + 1) * 100];
    expect(px(0)[0]).to.be.closeTo((110 + 120) / 2, 1e-4); // pelvis = mid hips (COCO 11, 12)
    expect(px(1)[0]).to.be.closeTo(120, 1e-4); // right hip = COCO 12
    expect(px(8)[0]).to.be.closeTo((50 + 60) / 2, 1e-4); // thorax = mid shoulders
    expect(px(7)[0]).to.be.closeTo((110 + 120 + 50 + 60) / 4, 1e-4); // spine = mid pelvis/thorax
    expect(px(9)[0]).to.be.closeTo((0.85 * (30 + 40)) / 2 + (0.15 * (50 + 60)) / 2, 1e-4); // skull base: just below mid-ears
    expect(px(10)[0]).to.be.closeTo((1.45 * (30 + 40)) / 2 - (0.45 * (50 + 60)) / 2, 1e-4); // head: above mid-ears, away from mid-shoulders
    expect(px(13)[0]).to.be.closeTo(90, 1e-4); // left wrist = COCO 9
    // pelvis confidence is the lower of the two hips (COCO 12: 0.88)
    expect(b.gmm[3]).to.be.closeTo(sigmaFromConfidence(0.88), 1e-6);
    expect(FORMATS.coco17.sources).to.have.length(17);
  });
});
