import { expect } from 'chai';
import { ROOT_SEEN_CONFIDENCE, rootUnseen } from '../../src/pose/root-visibility.js';

describe('rootUnseen: the pelvis or a hip under the seen confidence', () => {
  it('reads pose n of [N, 17] confidences: the pelvis and each hip count, other joints do not', () => {
    const two = new Float32Array(34).fill(1);
    expect([rootUnseen(two, 0), rootUnseen(two, 1)]).to.deep.equal([false, false]);
    for (const j of [0, 1, 4]) {
      const c = two.slice();
      c[17 + j] = ROOT_SEEN_CONFIDENCE - 0.01;
      expect([rootUnseen(c, 0), rootUnseen(c, 1)], `joint ${j}`).to.deep.equal([false, true]);
      c[17 + j] = ROOT_SEEN_CONFIDENCE;
      expect(rootUnseen(c, 1), `joint ${j} at the edge`).to.equal(false);
    }
    const knees = two.slice();
    for (const j of [2, 3, 5, 6]) knees[j] = 0;
    expect(rootUnseen(knees, 0), 'knees and ankles only').to.equal(false);
    expect(
      rootUnseen(
        Float32Array.from(two, (v, i) => (i === 1 ? NaN : v)),
        0,
      ),
      'NaN is not seen',
    ).to.equal(true);
  });
});
