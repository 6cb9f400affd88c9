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
  /** [17] per-joint factors on the xyz noise std (config diffusion.xyzNoiseGain); absent: 1. */
  xyzGain?: ArrayLike<number>;
  key: readonly [number, number];
  /** Index of the first pose of this chunk in the caller's whole batch (RNG counter). */
  poseOffset: number;
}

/**
 * The starting point x_K [poses*hypotheses, 17, 5] of the reverse process, hypothesis-minor.
 * official: uv = mean of the heaviest component, xyz = lifter, no noise (released code).
 * paper: component picked by weight, uv sampled from it, then x_K = sqrt(a) x + sqrt(1-a) eps * scale
 * (the xyz noise std xyzStd instead of sqrt(1-a) where given). With two or more hypotheses the
 * standard normals are moment-matched per joint and channel (initNormals).
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
          const [nUv, nXyz] = initNormals(a.key, pose, h, j, a.hypotheses);
          const su = a.gmm[comp + 3],
            sv = a.gmm[comp + 4];
          x[0] += su * nUv[0];
          x[1] += sv * nUv[1];
          const eps = [nUv[2] * su, nUv[3] * sv, nXyz[0], nXyz[1], nXyz[2]];
          const std = a.xyzStd ? a.xyzStd[n * J + j] : a.sqrtOneMinusA;
          const xyzStd = a.xyzGain ? Math.fround(std * a.xyzGain[j]) : std;
          for (let c = 0; c < 5; c++) x[c] = a.sqrtA * x[c] + (c < 2 ? a.sqrtOneMinusA : xyzStd) * eps[c];
        }
        for (let c = 0; c < 5; c++) out[o + c] = x[c];
      }
    }
  }
  return out;
}

/**
 * The paper init's standard normals of one (pose, hypothesis, joint): nUv[0..1] place uv inside
 * the component, nUv[2..3] and nXyz[0..2] are the forward noise. With two or more hypotheses each
 * channel's draws over the pose's hypotheses are centred and scaled to unit sample std (moment
 * matching): the hypotheses' start is then centred on the lifter's pose and exactly as wide as the
 * noise std says, so their spread measures the model rather than the luck of H draws
 * (docs/uncertainty.md). One pass of sums, as the kernels (lib/gmm.wgsl init_normals) do it.
 */
export function initNormals(
  key: readonly [number, number],
  pose: number,
  hypothesis: number,
  joint: number,
  hypotheses: number,
): [number[], number[]] {
  const draw = (h: number) => [
    ...normals4(philox4x32([pose, h, joint, RNG_STREAM.initUv], key)),
    ...normals4(philox4x32([pose, h, joint, RNG_STREAM.initXyz], key)),
  ];
  const own = draw(hypothesis);
  if (hypotheses < 2) return [own.slice(0, 4), own.slice(4)];
  // Sums of the draws' offsets from this hypothesis' own draw, as the kernels compute them.
  const sum = new Float64Array(8),
    sq = new Float64Array(8);
  for (let h = 0; h < hypotheses; h++) {
    const d = draw(h);
    for (let c = 0; c < 8; c++) {
      const off = d[c] - own[c];
      sum[c] += off;
      sq[c] += off * off;
    }
  }
  const matched = Array.from(sum, (s, c) => {
    const mean = s / hypotheses;
    return -mean / Math.sqrt(Math.max(sq[c] / hypotheses - mean * mean, MIN_MATCHED_VARIANCE));
  });
  return [matched.slice(0, 4), matched.slice(4)];
}

/** Floor of the matched draws' variance (lib/gmm.wgsl has the same): H draws of a normal are never all equal, but sums can cancel. */
const MIN_MATCHED_VARIANCE = 1e-12;
