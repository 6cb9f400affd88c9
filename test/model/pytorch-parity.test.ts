import { expect } from 'chai';
import { aggregateRef } from '../../src/model/aggregate.js';
import { ddimStepRef } from '../../src/model/ddim-step.js';
import { resolveSettings } from '../../src/lift-options.js';
import { alphaBars, ddimCoefficients } from '../../src/model/diffusion.js';
import { chebyshevBasis, normalizedAdjacency } from '../../src/model/graph.js';
import { runNetworkRef, stepFeatures } from '../../src/model/reference-network.js';
import { liftReference } from '../../src/model/reference-sampler.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenJson, goldenWeights } from '../helpers/golden.js';

/** The CPU reference against PyTorch (train/diffpose), max abs error <= 1e-4 per network evaluation. */
describe('CPU reference vs PyTorch golden outputs', () => {
  const g = goldenJson();
  const w = goldenWeights();

  it('builds the same adjacency, Chebyshev basis and noise schedule', () => {
    expectClose(Float32Array.from(normalizedAdjacency()), f32(g.adjacency), 1e-6, 0, 'adjacency');
    expectClose(chebyshevBasis(), f32(g.cheb), 1e-6, 0, 'cheb');
    expectClose(Float32Array.from(alphaBars(w.config.diffusion)), f32(g.schedule.alphabar), 1e-7, 0, 'alphabar');
  });

  it('computes the lifter like PyTorch', () => {
    const uv = f32(g.lifter.uv);
    expectClose(runNetworkRef(w.lifter, uv, uv.length / 34), f32(g.lifter.xyz), 1e-4, 0, 'lifter xyz');
  });

  it('computes the step embedding like PyTorch', () => {
    const feats = stepFeatures(w.denoiser, 12);
    const temb = f32(g.timestep_embedding.temb);
    expectClose(
      feats,
      temb.map((v) => v / (1 + Math.exp(-v))),
      1e-5,
      0,
      'swish(temb(12))',
    );
  });

  it('computes the denoiser like PyTorch at t = 0, 12, 25, 50', () => {
    const x = f32(g.denoiser.x);
    const ts: number[] = g.denoiser.t.data ?? g.denoiser.t;
    const eps = f32(g.denoiser.eps);
    ts.forEach((t, n) => {
      const out = runNetworkRef(w.denoiser, x.subarray(n * 85, (n + 1) * 85), 1, t);
      expectClose(out, eps.subarray(n * 85, (n + 1) * 85), 1e-4, 0, `eps at t=${t}`);
    });
  });

  it('samples like the released code with init official, timesteps [12, 0], eta 0', async () => {
    const s = g.sampling;
    const uv = f32(s.uv ?? g.lifter.uv);
    const n = uv.length / 34;
    const settings = resolveSettings({ imageSize: [2, 2], init: 'official', timesteps: [12, 0] }, w.config);
    const gmm = new Float32Array(n * 17 * 5);
    for (let i = 0; i < n * 17; i++) gmm.set([1, uv[2 * i], uv[2 * i + 1], 0.01, 0.01], 5 * i);
    const r = await liftReference(w, { poses: n, uv, components: 1, gmm }, settings);
    expectClose(r.mean, f32(s.xyz), 1e-4, 0, 'sampled xyz');
  });

  it('applies DDIM with eta > 0 like PyTorch given the same noise', () => {
    const s = g.sampling_eta;
    const base = g.sampling;
    const coefs = ddimCoefficients([12, 0], 0.5, w.config.diffusion);
    let x = f32(base.x_init);
    const n = x.length / 85;
    coefs.forEach((coef, i) => {
      const eps = runNetworkRef(w.denoiser, x, n, coef.t);
      // The reference draws its own z; here the update is applied by hand with PyTorch's z.
      const noEta = ddimStepRef(x, eps, {
        poses: n,
        hypotheses: 1,
        coef: { ...coef, c1: 0 },
        stepIndex: i,
        key: [0, 0],
        poseOffset: 0,
      });
      const z = f32(s.z[i]);
      x = noEta.map((v, k) => v + coef.c1 * z[k]);
    });
    expectClose(x, f32(s.x_final), 1e-4, 0, 'x_final with eta 0.5');
  });

  it('aggregates hypotheses like PyTorch', () => {
    const s = g.summarize;
    const xyzH = f32(s.xyz_h); // [H, N, 17, 3]
    const [H, N] = s.xyz_h.shape;
    const x = new Float32Array(N * H * 17 * 5);
    for (let h = 0; h < H; h++)
      for (let n = 0; n < N; n++)
        for (let j = 0; j < 17; j++)
          for (let c = 0; c < 3; c++) {
            x[((n * H + h) * 17 + j) * 5 + 2 + c] = xyzH[((h * N + n) * 17 + j) * 3 + c];
          }
    const r = aggregateRef(x, N, H);
    expect(r.mean.length).to.equal(N * 51);
    // The fixture's hypotheses are not root-centred; the engine centres each one first.
    const mean = f32(s.mean);
    const centred = mean.map((v, k) => v - mean[Math.floor(k / 51) * 51 + (k % 3)]);
    expectClose(r.mean, centred, 1e-5, 0, 'mean');
  });
});
