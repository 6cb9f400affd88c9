/**
 * Resamples a clip of joint positions to another frame rate by linear interpolation between
 * the two nearest source frames. Output frame k is at time k / fpsOut; the first output frame
 * is the first source frame, and the output never extrapolates past the last source frame.
 * Interpolating positions (not rotations) is fine at these rates: between two 120 or 60 fps
 * frames a joint moves a few millimetres along a nearly straight path.
 */
export function resamplePoses(
  poses: Float32Array,
  frameCount: number,
  fpsIn: number,
  fpsOut: number,
): { poses: Float32Array; frameCount: number } {
  if (!(fpsIn > 0 && fpsOut > 0)) throw new RangeError(`frame rates must be positive (got ${fpsIn} -> ${fpsOut})`);
  if (frameCount === 0) return { poses: new Float32Array(0), frameCount: 0 };
  if (poses.length % frameCount !== 0)
    throw new RangeError(`${poses.length} values do not split into ${frameCount} frames`);
  const stride = poses.length / frameCount;
  const step = fpsIn / fpsOut;
  // The small tolerance keeps an exact ratio (120 -> 30 over 4n+1 frames) from losing its last frame to rounding.
  const outCount = Math.floor((frameCount - 1) / step + 1e-9) + 1;
  const out = new Float32Array(outCount * stride);
  for (let k = 0; k < outCount; k++) {
    const t = k * step;
    const i0 = Math.min(Math.floor(t + 1e-9), frameCount - 1);
    const i1 = Math.min(i0 + 1, frameCount - 1);
    const w = Math.max(0, t - i0);
    for (let c = 0; c < stride; c++) {
      const a = poses[i0 * stride + c],
        b = poses[i1 * stride + c];
      out[k * stride + c] = w === 0 ? a : a + (b - a) * w;
    }
  }
  return { poses: out, frameCount: outCount };
}
