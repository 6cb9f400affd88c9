/**
 * Post-hoc smoothing of a track's poses over time: the baselines a temporal model has to beat
 * (issue 14), and a filter for users of the frame model. Series are [T, D] row-major (D numbers
 * per frame, e.g. 17 x 3), the same rules as train/train_temporal.py's `moving_average` and
 * `one_euro`.
 */

/** Centred moving average over `window` frames (odd); the window shrinks at the ends of the track. */
export function movingAverage(x: ArrayLike<number>, frames: number, window: number): Float64Array {
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0)
    throw new RangeError(`window must be an odd positive integer, got ${window}`);
  const d = x.length / frames,
    r = (window - 1) / 2;
  const out = new Float64Array(x.length);
  for (let t = 0; t < frames; t++) {
    const lo = Math.max(0, t - r),
      hi = Math.min(frames, t + r + 1);
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let i = lo; i < hi; i++) s += x[i * d + k];
      out[t * d + k] = s / (hi - lo);
    }
  }
  return out;
}

/** Causal One-Euro filter (Casiez et al. 2012) per coordinate: `minCutoff` Hz, `beta` per unit/s. */
export class OneEuroFilter {
  private y: Float64Array | undefined;
  private readonly dx: Float64Array;

  constructor(
    readonly size: number,
    readonly fps: number,
    readonly minCutoff: number,
    readonly beta: number,
    readonly derivativeCutoff = 1,
  ) {
    this.dx = new Float64Array(size);
  }

  private alpha(cutoff: number): number {
    const te = 1 / this.fps;
    return 1 / (1 + 1 / (2 * Math.PI * cutoff) / te);
  }

  /** Filters one frame (`size` numbers) in place of the previous state; returns the smoothed frame. */
  push(frame: ArrayLike<number>): Float64Array {
    if (!this.y) {
      this.y = Float64Array.from({ length: this.size }, (_, k) => frame[k]);
      return Float64Array.from(this.y);
    }
    const te = 1 / this.fps,
      ad = this.alpha(this.derivativeCutoff);
    for (let k = 0; k < this.size; k++) {
      this.dx[k] += ad * ((frame[k] - this.y[k]) / te - this.dx[k]);
      const a = this.alpha(this.minCutoff + this.beta * Math.abs(this.dx[k]));
      this.y[k] += a * (frame[k] - this.y[k]);
    }
    return Float64Array.from(this.y);
  }
}

/** One-Euro over a whole track [T, D]. */
export function oneEuro(
  x: ArrayLike<number>,
  frames: number,
  fps: number,
  minCutoff: number,
  beta: number,
): Float64Array {
  const d = x.length / frames;
  const f = new OneEuroFilter(d, fps, minCutoff, beta);
  const out = new Float64Array(x.length);
  for (let t = 0; t < frames; t++)
    out.set(f.push(Array.prototype.slice.call(x, t * d, (t + 1) * d) as number[]), t * d);
  return out;
}
