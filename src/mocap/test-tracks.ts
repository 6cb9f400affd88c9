import { proportionFactors, withProportions } from '../pose/body-proportions.js';
import { isInView, project, randomCameraView, rootRelative, toCameraFrame, type Camera } from '../pose/camera.js';
import { BASE_STD_FRACTION, NOISE_MODEL } from '../pose/detector-noise.js';
import { Rng } from '../pose/rng.js';
import { ROOT_JOINTS } from '../pose/root-visibility.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { PREPARED_FPS, type PreparedSplit } from './prepared-file.js';

/**
 * Fixed test tracks for the temporal evaluation (the engine's counterpart of train/video.py's
 * `eval_tracks`, same design, its own random stream): every clip cut into tracks of 64 frames
 * (a last piece of at least 16 kept), 30 fps, one virtual camera per track (drawn for the
 * track's middle frame and redrawn until every frame is in view: the subject moves, the camera
 * does not), and detector error correlated in time: per track a lognormal scale and per joint a
 * lognormal factor (docs/camera-model.md's per-example model), each joint's error
 * sigma (sqrt(rho) drift + sqrt(1 - rho) white) with an AR(1) drift of time constant tau,
 * rho ~ U(0.3, 0.9), tau ~ U(0.1, 0.5) s per track; outliers held for 1-6 frames (3% of
 * joint-frames); confidence from the error scale as in the frame model's noise.
 */
export const TRACK_FRAMES = 64;
export const MIN_TRACK_FRAMES = 16;
export const TRACKS_SEED = 20231;

const J = NUM_JOINTS;

export interface TestTrack {
  frames: number;
  /** [T, 17, 2] pixels. */
  keypoints: Float32Array;
  /** [T, 17]. */
  confidence: Float32Array;
  imageSize: [number, number];
  /** [T, 17, 3] camera frame, root-relative, metres. */
  poses3d: Float32Array;
  source: string;
}

/** Frame ranges [start, end) of the tracks of a split: each clip cut into pieces of `length`. */
export function trackRanges(
  clip: Int32Array,
  length = TRACK_FRAMES,
  minLength = MIN_TRACK_FRAMES,
): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let f = 1; f <= clip.length; f++) {
    if (f < clip.length && clip[f] === clip[start]) continue;
    for (let s = start; s < f; s += length)
      if (Math.min(f, s + length) - s >= minLength) ranges.push([s, Math.min(f, s + length)]);
    start = f;
  }
  return ranges;
}

/** One camera for a whole track: the middle frame's draw, redrawn until every frame is in view. */
function trackCamera(
  rng: Rng,
  poses: Float32Array,
  start: number,
  end: number,
): { camera: Camera; centring: [number, number] } {
  const mid = Math.floor((start + end) / 2);
  let view = randomCameraView(rng, poses.subarray(mid * 51, mid * 51 + 51));
  for (let tries = 0; tries < 20; tries++) {
    let ok = true;
    for (let f = start; f < end && ok; f++) {
      const pc = toCameraFrame(view.camera, centred(poses.subarray(f * 51, f * 51 + 51), view.centring));
      ok = isInView(view.camera, pc, project(view.camera, pc));
    }
    if (ok) break;
    view = randomCameraView(rng, poses.subarray(mid * 51, mid * 51 + 51));
  }
  return { camera: view.camera, centring: view.centring };
}

function centred(pose: ArrayLike<number>, centring: [number, number]): Float64Array {
  const out = new Float64Array(J * 3);
  for (let j = 0; j < J; j++) {
    out[3 * j] = pose[3 * j] + centring[0];
    out[3 * j + 1] = pose[3 * j + 1];
    out[3 * j + 2] = pose[3 * j + 2] + centring[1];
  }
  return out;
}

/**
 * The tracks of `split` (at most `limit`, evenly spread), from a fixed seed; with
 * `varyProportions` each track's person gets other proportions (pose/body-proportions.ts).
 */
export function makeTestTracks(
  split: Pick<PreparedSplit, 'poses' | 'clip' | 'clips'>,
  seed = TRACKS_SEED,
  limit?: number,
  options: { varyProportions?: boolean } = {},
): TestTrack[] {
  let ranges = trackRanges(split.clip);
  if (limit !== undefined && limit < ranges.length)
    ranges = Array.from(
      { length: limit },
      (_, i) => ranges[Math.round((i * (ranges.length - 1)) / Math.max(1, limit - 1))],
    );
  const rng = new Rng(seed);
  const m = NOISE_MODEL;
  return ranges.map(([start, end]) => {
    const T = end - start;
    let poses = split.poses.subarray(start * 51, end * 51);
    if (options.varyProportions) {
      const factor = proportionFactors(rng);
      poses = new Float32Array(T * 51);
      for (let t = 0; t < T; t++)
        poses.set(withProportions(split.poses.subarray((start + t) * 51, (start + t + 1) * 51), factor), t * 51);
    }
    const { camera, centring } = trackCamera(rng, poses, 0, T);
    const track: TestTrack = {
      frames: T,
      keypoints: new Float32Array(T * J * 2),
      confidence: new Float32Array(T * J),
      imageSize: [camera.width, camera.height],
      poses3d: new Float32Array(T * J * 3),
      source: split.clips[split.clip[start]].source,
    };
    const scale = Math.exp(rng.normal(0, m.exampleLogStd));
    const jointFactor = Array.from({ length: J }, () => Math.exp(rng.normal(0, m.jointLogStd)));
    const rho = rng.uniformIn(0.3, 0.9),
      tau = rng.uniformIn(0.1, 0.5);
    const a = Math.exp(-1 / (tau * PREPARED_FPS));
    const drift = Array.from({ length: J * 2 }, () => rng.normal());
    // Per joint: frames left of the current outlier and its held displacement.
    const held = Array.from({ length: J }, () => ({ left: 0, dx: 0, dy: 0, c: 0 }));
    for (let t = 0; t < T; t++) {
      const pc = toCameraFrame(camera, centred(poses.subarray(t * 51, (t + 1) * 51), centring));
      const uv = project(camera, pc);
      track.poses3d.set(rootRelative(pc), t * 51);
      let vMin = Infinity,
        vMax = -Infinity;
      for (let j = 0; j < J; j++) {
        vMin = Math.min(vMin, uv[2 * j + 1]);
        vMax = Math.max(vMax, uv[2 * j + 1]);
      }
      const s = Math.max(vMax - vMin, 1e-3);
      for (let j = 0; j < J; j++) {
        const sigma = BASE_STD_FRACTION[j] * s * scale * jointFactor[j];
        const err = [0, 1].map((k) => {
          drift[2 * j + k] = a * drift[2 * j + k] + Math.sqrt(1 - a * a) * rng.normal();
          return sigma * (Math.sqrt(rho) * drift[2 * j + k] + Math.sqrt(1 - rho) * rng.normal());
        });
        const h = held[j];
        if (h.left === 0 && rng.uniform() < m.outlierProbability / 3.5) {
          const r = m.outlierRadius * s * Math.sqrt(rng.uniform()),
            angle = 2 * Math.PI * rng.uniform();
          Object.assign(h, {
            left: 1 + rng.int(6),
            dx: r * Math.cos(angle),
            dy: r * Math.sin(angle),
            c: rng.uniformIn(m.outlierConfidence[0], m.outlierConfidence[1]),
          });
        }
        let c: number;
        if (h.left > 0) {
          h.left--;
          err[0] = h.dx;
          err[1] = h.dy;
          c = h.c;
        } else {
          c = Math.min(
            m.confidenceRange[1],
            Math.max(
              m.confidenceRange[0],
              Math.exp(-sigma / (m.confidenceScale * s)) + rng.normal(0, m.confidenceNoiseStd),
            ),
          );
        }
        track.keypoints[(t * J + j) * 2] = uv[2 * j] + err[0];
        track.keypoints[(t * J + j) * 2 + 1] = uv[2 * j + 1] + err[1];
        track.confidence[t * J + j] = c;
      }
    }
    return track;
  });
}

/** Knees and ankles (H36M 2, 3, 5, 6). */
const LEGS = [2, 3, 5, 6];

/**
 * The same track seen by a camera cropped above every knee of the track (a webcam framing the
 * upper body): the image ends 2% of its width above the highest knee; every joint below gets
 * confidence U(0, 0.1) and a position on the bottom border (60%) or anywhere in the crop.
 */
export function legsHidden(track: TestTrack, rng: Rng): TestTrack {
  let top = Infinity;
  for (let t = 0; t < track.frames; t++)
    for (const j of [2, 5]) top = Math.min(top, track.keypoints[(t * J + j) * 2 + 1]);
  const [w] = track.imageSize;
  const height = Math.max(1, Math.floor(top - 0.02 * w));
  const out: TestTrack = {
    ...track,
    keypoints: Float32Array.from(track.keypoints),
    confidence: Float32Array.from(track.confidence),
    imageSize: [w, height],
  };
  for (let t = 0; t < track.frames; t++) {
    for (let j = 0; j < J; j++) {
      const at = t * J + j;
      if (!LEGS.includes(j) && out.keypoints[2 * at + 1] < height) continue;
      out.confidence[at] = rng.uniformIn(0, 0.1);
      if (rng.uniform() < 0.6) {
        out.keypoints[2 * at] = Math.min(w - 1, Math.max(0, out.keypoints[2 * at]));
        out.keypoints[2 * at + 1] = height - 1;
      } else {
        out.keypoints[2 * at] = rng.uniformIn(0, w);
        out.keypoints[2 * at + 1] = rng.uniformIn(0, height);
      }
    }
  }
  return out;
}

/**
 * Per frame of `track`, whether its legsHidden copy `hidden` lost the pelvis or a hip as well (below
 * the crop): every output joint is relative to the pelvis, which is then out of the picture too.
 */
export function rootCropped(track: TestTrack, hidden: TestTrack): boolean[] {
  const height = hidden.imageSize[1];
  return Array.from({ length: track.frames }, (_, t) =>
    ROOT_JOINTS.some((j) => track.keypoints[(t * J + j) * 2 + 1] >= height),
  );
}
