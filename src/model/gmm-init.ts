import { NUM_JOINTS } from '../pose/skeleton.js';
import { normals4, philox4x32, RNG_STREAM, unitOpen0 } from './philox.js';

/** Values per mixture component in the packed GMM buffer: weight, mean u, mean v, std u, std v (uv units). */
export const GMM_STRIDE = 5;

export type InitMode = 'paper' | 'official';

export interface GmmInitArgs {
  poses: number;
  hypotheses: number;
  components: number;
  /** [poses, 17, components, 5]: weight, mu_u, mu_v, sigma_u, sigma_v. */
  gmm: Float32Array;
  /** [poses, 17, 3]: the lifter's root-centred output. */
  lifterXyz: Float32Array;
  mode: InitMode;
  sqrtA: number;
  sqrtOneMinusA: number;
  /**
   * [poses, 17] a 4-output lifter's sigma: the paper init's xyz noise std per joint in place of
   * sqrtOneMinusA (the start's depth distribution as wide as the lifter's own error estimate).
   */
  xyzStd?: Float32Array;
  key: readonly [number, number];
  /** Index of the first pose of this chunk in the caller's whole batch (RNG counter). */
  poseOffset: number;
}

/**
 * The starting point x_K [poses*hypotheses, 17, 5] of the reverse process, hypothesis-minor.
 * official: uv = mean of the heaviest component, xyz = lifter, no noise (released code).
 * paper: component picked by weight, uv sampled from it, then x_K = sqrt(a) x + sqrt(1-a) eps * scale
 * (the xyz noise std xyzStd instead of sqrt(1-a) where given).
 */
export function gmmInitRef(a: GmmInitArgs): Float32Array {
  const J = NUM_JOINTS,
    K = a.components;
  const out = new Float32Array(a.poses * a.hypotheses * J * 5);
  for (let n = 0; n < a.poses; n++) {
    const pose = a.poseOffset + n;
    for (let h = 0; h < a.hypotheses; h++) {
      for (let j = 0; j < J; j++) {
        const g = (n * J + j) * K * GMM_STRIDE;
        let k = 0;
        if (a.mode === 'official') {
          for (let c = 1; c < K; c++) if (a.gmm[g + c * GMM_STRIDE] > a.gmm[g + k * GMM_STRIDE]) k = c;
        } else {
          const u = unitOpen0(philox4x32([pose, h, j, RNG_STREAM.component], a.key)[0]);
          let total = 0;
          for (let c = 0; c < K; c++) total += a.gmm[g + c * GMM_STRIDE];
          let cum = 0;
          k = K - 1;
          for (let c = 0; c < K; c++) {
            cum += a.gmm[g + c * GMM_STRIDE];
            if (u * total <= cum) {
              k = c;
              break;
            }
          }
        }
        const comp = g + k * GMM_STRIDE;
        const xyz = (n * J + j) * 3;
        const x = [a.gmm[comp + 1], a.gmm[comp + 2], a.lifterXyz[xyz], a.lifterXyz[xyz + 1], a.lifterXyz[xyz + 2]];
        const o = ((n * a.hypotheses + h) * J + j) * 5;
        if (a.mode === 'paper') {
          const nUv = normals4(philox4x32([pose, h, j, RNG_STREAM.initUv], a.key));
          const nXyz = normals4(philox4x32([pose, h, j, RNG_STREAM.initXyz], a.key));
          const su = a.gmm[comp + 3],
            sv = a.gmm[comp + 4];
          x[0] += su * nUv[0];
          x[1] += sv * nUv[1];
          const eps = [nUv[2] * su, nUv[3] * sv, nXyz[0], nXyz[1], nXyz[2]];
          const xyzStd = a.xyzStd ? a.xyzStd[n * J + j] : a.sqrtOneMinusA;
          for (let c = 0; c < 5; c++) x[c] = a.sqrtA * x[c] + (c < 2 ? a.sqrtOneMinusA : xyzStd) * eps[c];
        }
        for (let c = 0; c < 5; c++) out[o + c] = x[c];
      }
    }
  }
  return out;
}
