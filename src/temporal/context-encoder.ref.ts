import { NUM_JOINTS } from '../pose/skeleton.js';
import { ENCODER_INPUTS } from './encoder-config.js';
import type { ConvParams, EncoderParams } from './temporal-weights.js';

const J = NUM_JOINTS;

/**
 * Per frame, in place: uv centred on the confidence-weighted mean and divided by the weighted RMS
 * distance from it (docs/temporal-model.md §1); confidence unchanged. frames [T, 17, 3].
 */
export function normaliseFrames(frames: Float32Array, count: number): void {
  for (let t = 0; t < count; t++) {
    const f = frames.subarray(t * J * 3, (t + 1) * J * 3);
    let sw = 0,
      mu = 0,
      mv = 0;
    for (let j = 0; j < J; j++) {
      const w = f[3 * j + 2] + 1e-3;
      sw += w;
      mu += w * f[3 * j];
      mv += w * f[3 * j + 1];
    }
    mu /= sw;
    mv /= sw;
    let ss = 0;
    for (let j = 0; j < J; j++) {
      const du = f[3 * j] - mu,
        dv = f[3 * j + 1] - mv;
      ss += (f[3 * j + 2] + 1e-3) * (du * du + dv * dv);
    }
    const s = Math.sqrt(ss / sw) + 1e-4;
    for (let j = 0; j < J; j++) {
      f[3 * j] = (f[3 * j] - mu) / s;
      f[3 * j + 1] = (f[3 * j + 1] - mv) / s;
    }
  }
}

/** Valid convolution over positions: x [n, cin] -> [n - (taps - 1) dilation, cout], ReLU optional. */
function conv(
  x: Float32Array,
  n: number,
  p: ConvParams,
  dilation: number,
  relu: boolean,
): { y: Float32Array; n: number } {
  const m = n - (p.taps - 1) * dilation;
  const y = new Float32Array(m * p.cout);
  for (let j = 0; j < m; j++) {
    for (let o = 0; o < p.cout; o++) {
      let s = p.bias[o];
      for (let i = 0; i < p.cin; i++) {
        for (let k = 0; k < p.taps; k++)
          s += p.weight[(o * p.cin + i) * p.taps + k] * x[(j + k * dilation) * p.cin + i];
      }
      y[j * p.cout + o] = relu && s < 0 ? 0 : s;
    }
  }
  return { y, n: m };
}

/** What the encoder gives one track: per frame the start pose correction and the FiLM vectors. */
export interface EncodedTrack {
  /** [T, 17, 3] root-centred, metres, camera frame: added to the lifter's root-centred output to make the start pose. */
  delta: Float32Array;
  /** [T, layers, 2, width]: gamma then beta of each denoiser block. */
  film: Float32Array;
  /** v2 (§12): [T, 17, 3] the start pose, the start average of the window's lifter xyz plus delta. */
  start?: Float32Array;
}

/**
 * The context encoder over a whole track (the CPU reference of docs/temporal-model.md §2-3):
 * per frame the correction of the lifter's start pose and the FiLM of every denoiser block.
 * `track` [T, 17, 3] (u, v in the model's uv units, confidence), edge padded, valid convolutions.
 * A v2 encoder (§12) also reads `lifted`, the root-centred lifter xyz of every frame [T, 17, 3],
 * and gives the start pose.
 */
export function encodeTrackRef(
  p: EncoderParams,
  track: Float32Array,
  frames: number,
  lifted?: Float32Array,
): EncodedTrack {
  const [before, after] = p.config.pad;
  const I = ENCODER_INPUTS,
    cin = p.input.cin;
  if (cin !== I && !lifted) throw new Error('a v2 encoder reads the lifter xyz of every frame');
  const x = Float32Array.from(track.subarray(0, frames * I));
  if (p.config.normalise) normaliseFrames(x, frames);
  const n = frames + before + after;
  const padded = new Float32Array(n * cin);
  for (let i = 0; i < n; i++) {
    const src = Math.min(Math.max(i - before, 0), frames - 1);
    padded.set(x.subarray(src * I, (src + 1) * I), i * cin);
    if (cin !== I) padded.set(lifted!.subarray(src * I, (src + 1) * I), i * cin + I);
  }
  let h = conv(padded, n, p.input, 1, true);
  const C = p.config.channels;
  for (const b of p.blocks) {
    const y = conv(conv(h.y, h.n, b.conv, b.dilation, true).y, h.n - 2 * b.dilation, b.point, 1, true);
    // The residual keeps the position aligned with the output frame: the centre, or the newest.
    const shift = p.config.causal ? 2 * b.dilation : b.dilation;
    for (let j = 0; j < y.n; j++) {
      for (let c = 0; c < C; c++) y.y[j * C + c] += h.y[(j + shift) * C + c];
    }
    h = y;
  }
  const delta = conv(h.y, h.n, p.pose, 1, false).y;
  for (let t = 0; t < frames; t++) {
    const pose = delta.subarray(t * J * 3, (t + 1) * J * 3);
    const [rx, ry, rz] = [pose[0], pose[1], pose[2]];
    for (let j = 0; j < J; j++) {
      pose[3 * j] -= rx;
      pose[3 * j + 1] -= ry;
      pose[3 * j + 2] -= rz;
    }
  }
  const film = conv(h.y, h.n, p.film, 1, false).y;
  if (!p.average) return { delta, film };
  const start = new Float32Array(frames * I);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < I; k++) {
      let acc = 0;
      for (let f = 0; f < p.config.window; f++)
        acc += p.average[f * J + Math.floor(k / 3)] * padded[(t + f) * cin + I + k];
      start[t * I + k] = acc + delta[t * I + k];
    }
  }
  return { delta, film, start };
}
