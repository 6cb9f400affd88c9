import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { varyProportions } from '../../src/pose/body-proportions.js';
import { Rng } from '../../src/pose/rng.js';
import { H36M_BONES } from '../../src/pose/skeleton.js';

describe('varyProportions', () => {
  const truth = JSON.parse(readFileSync(new URL('../../examples/walk-truth.json', import.meta.url), 'utf8')) as {
    frames: Array<{ joints: number[] }>;
  };
  const pose = Float32Array.from(truth.frames[0].joints);
  const bone = (p: Float32Array, [a, b]: readonly [number, number]) =>
    [0, 1, 2].map((c) => p[b * 3 + c] - p[a * 3 + c]);
  const length = (v: number[]) => Math.hypot(...v);

  it('scales every bone within its group range, keeps its direction and the pelvis, and varies from draw to draw', () => {
    const rng = new Rng(3);
    const seen = new Set<string>();
    for (let draw = 0; draw < 50; draw++) {
      const p = varyProportions(pose, rng);
      expect(Array.from(p.subarray(0, 3))).to.deep.equal(Array.from(pose.subarray(0, 3)));
      const ratios = H36M_BONES.map((b) => {
        const before = bone(pose, b),
          after = bone(p, b);
        const r = length(after) / length(before);
        // Same direction: the scaled bone is parallel to the original.
        const cos = before.reduce((s, v, c) => s + v * after[c], 0) / (length(before) * length(after));
        expect(cos).to.be.above(0.99999);
        // +-15% at most, times the 2% left/right jitter (4 sigma).
        expect(r).to.be.within(0.85 * 0.92, 1.15 * 1.09);
        return r;
      });
      // Left and right of a group alike (hips: bones 0 and 3).
      expect(Math.abs(ratios[0] - ratios[3])).to.be.below(0.15);
      seen.add(ratios.map((r) => r.toFixed(3)).join());
    }
    expect(seen.size).to.equal(50);
    // The input is left as it was.
    expect(Array.from(pose)).to.deep.equal(truth.frames[0].joints.map(Math.fround));
  });
});
