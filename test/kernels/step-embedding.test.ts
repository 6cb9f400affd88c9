import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { STEP_EMBEDDING } from '../../src/kernels/step-embedding.js';
import { stepEmbeddingRef } from '../../src/model/step-embedding.js';
import { expectClose } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

describe('step_embedding kernel vs stepEmbeddingRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const d of [96, 4, 10, 384]) {
    it(`embeds steps 0..1000 with d = ${d}`, async () => {
      for (const t of [0, 1, 6, 12, 25, 50, 1000]) {
        const out = await runKernel(gpu, {
          desc: STEP_EMBEDDING,
          params: { t, d },
          inputs: {},
          outputs: { embedding: d },
          calls: [batchRun(7)],
        });
        expectClose(out.embedding, stepEmbeddingRef(t, d), 1e-4, 1e-3, `embedding t ${t} d ${d}`);
      }
    });
  }

  it('rejects odd or too small embedding sizes and non-integer steps', () => {
    expect(() => STEP_EMBEDDING.paramValues({ t: 3, d: 7 })).to.throw(/even/);
    expect(() => STEP_EMBEDDING.paramValues({ t: 3, d: 2 })).to.throw(/>= 4/);
    expect(() => STEP_EMBEDDING.paramValues({ t: 1.5, d: 8 })).to.throw(/integer/);
  });
});
