/**
 * Writes the bundled examples in examples/ from the prepared TEST split (never trained on):
 *
 *   npx tsx scripts/make-examples.ts [--data data/prepared/test.safetensors] [--out examples]
 *
 * Per clip: ONE fixed camera drawn from the camera model (docs/camera-model.md) that keeps the
 * whole clip in view, every 2nd frame of the 30 fps clip (15 fps), and the detector-noise model
 * applied to each frame. Files per clip NAME:
 *   NAME-coco17.json   COCO keypoint results [{image_id, category_id: 1, keypoints, score}];
 *                      the face keypoints come from scripts/synthetic-face.ts
 *   NAME-h36m17.json   plain per-frame JSON {imageSize, format: "h36m17", frames}
 *   NAME-truth.json    the true 3D joints: camera frame, root-relative, metres
 * plus two-people-coco17.json (+ -truth): both clips side by side in one image, two detections
 * per image_id in a per-frame shuffled order. Everything is seeded: rerunning gives the same files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, flagString } from '../src/cli/args.js';
import { readPreparedSplit, type PreparedSplit } from '../src/mocap/prepared-file.js';
import {
  CAMERA_MODEL,
  drawCamera,
  isInView,
  look,
  project,
  rootRelative,
  toCameraFrame,
  type Camera,
} from '../src/pose/camera.js';
import { detectorNoise } from '../src/pose/detector-noise.js';
import { Rng } from '../src/pose/rng.js';
import { H36M_JOINTS } from '../src/pose/skeleton.js';
import { cocoPointsFromH36m } from './synthetic-face.js';

interface ClipChoice {
  /** File name stem. */
  name: string;
  /** Clip name in the prepared split's metadata. */
  clip: string;
  /** First frame (30 fps) and how many 15 fps frames to take. */
  start: number;
  frames: number;
  seed: number;
}

const CLIPS: ClipChoice[] = [
  { name: 'walk', clip: 'cmu-asfamc/03/03_03', start: 0, frames: 140, seed: 303 },
  { name: 'basketball', clip: 'hdm05-asfamc/tr/HDM_tr_throwBasketball_012_120', start: 0, frames: 91, seed: 512 },
];
const FRAME_STRIDE = 2; // 30 fps -> 15 fps

/** For the COCO noise draw: the H36M slot whose noise level each COCO keypoint takes (face = head/torso level, limbs = same limb joint). */
const COCO_NOISE_SLOT = [9, 10, 8, 7, 0, 11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3];

interface ClipSequence {
  choice: ClipChoice;
  camera: Camera;
  /** Per frame: 17 * 3 world (centred) points of H36M and of COCO. */
  h36mWorld: Float64Array[];
  cocoWorld: Float64Array[];
}

/** The clip's frames (every 2nd), centred horizontally on the clip's mean pelvis. */
function clipFrames(split: PreparedSplit, choice: ClipChoice): Float64Array[] {
  const index = split.clips.findIndex((c) => c.name === choice.clip);
  if (index < 0) throw new Error(`clip ${choice.clip} is not in the test split`);
  const first = split.clip.indexOf(index) + choice.start;
  const frames: Float64Array[] = [];
  for (let i = 0; i < choice.frames; i++) {
    const f = first + i * FRAME_STRIDE;
    if (split.clip[f] !== index)
      throw new Error(`clip ${choice.clip} has fewer than ${choice.start + choice.frames * FRAME_STRIDE} frames`);
    frames.push(Float64Array.from(split.poses.subarray(f * 51, f * 51 + 51)));
  }
  const cx = frames.reduce((s, p) => s + p[0], 0) / frames.length;
  const cz = frames.reduce((s, p) => s + p[2], 0) / frames.length;
  for (const p of frames)
    for (let j = 0; j < 17; j++) {
      p[j * 3] -= cx;
      p[j * 3 + 2] -= cz;
    }
  return frames;
}

/**
 * One camera for the whole clip: draws as the camera model does for one pose, but a draw is kept
 * only when every frame (body and synthetic face) is in view; after the model's 50 tries the
 * last draw is taken at twice the distance.
 */
function clipCamera(rng: Rng, h36m: Float64Array[], coco: Float64Array[]): Camera {
  const pelvisHeight = h36m.reduce((s, p) => s + p[1], 0) / h36m.length;
  const fits = (camera: Camera) =>
    [...h36m, ...coco].every((p) => {
      const c = toCameraFrame(camera, p);
      return isInView(camera, c, project(camera, c));
    });
  let draw = drawCamera(rng, pelvisHeight);
  for (let tries = 1; tries <= CAMERA_MODEL.maxTries; tries++, draw = drawCamera(rng, pelvisHeight)) {
    const { camera } = look(draw, h36m[0]);
    if (fits(camera)) return camera;
  }
  return look({ ...draw, distance: draw.distance * 2 }, h36m[0]).camera;
}

function makeSequence(split: PreparedSplit, choice: ClipChoice): ClipSequence {
  const h36mWorld = clipFrames(split, choice);
  const cocoWorld = h36mWorld.map((p) => cocoPointsFromH36m(p));
  const camera = clipCamera(new Rng(choice.seed), h36mWorld, cocoWorld);
  return { choice, camera, h36mWorld, cocoWorld };
}

interface Detections {
  /** Per frame 17 * 2 pixels and 17 scores. */
  keypoints: Float64Array[];
  confidence: Float64Array[];
}

/** The detector-noise model on each frame's projections; `slots` says which H36M noise level each point takes. */
function detect(rng: Rng, camera: Camera, world: Float64Array[], slots?: number[]): Detections {
  const out: Detections = { keypoints: [], confidence: [] };
  for (const p of world) {
    const exact = project(camera, toCameraFrame(camera, p));
    const inSlots = new Float64Array(34);
    const slot = (k: number) => (slots ? slots[k] : k);
    for (let k = 0; k < 17; k++) inSlots.set([exact[2 * k], exact[2 * k + 1]], slot(k) * 2);
    const d = detectorNoise(rng, inSlots);
    const kp = new Float64Array(34),
      conf = new Float64Array(17);
    for (let k = 0; k < 17; k++) {
      kp.set([d.keypoints[slot(k) * 2], d.keypoints[slot(k) * 2 + 1]], k * 2);
      conf[k] = d.confidence[slot(k)];
    }
    out.keypoints.push(kp);
    out.confidence.push(conf);
  }
  return out;
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const r4 = (v: number) => Math.round(v * 10000) / 10000;

function triples(kp: Float64Array, conf: Float64Array, dx = 0): number[][] {
  return Array.from({ length: 17 }, (_, k) => [r2(kp[2 * k] + dx), r2(kp[2 * k + 1]), r3(conf[k])]);
}

function cocoResult(imageId: number, kp: Float64Array, conf: Float64Array, dx = 0) {
  const score = conf.reduce((s, c) => s + c, 0) / conf.length;
  return { image_id: imageId, category_id: 1, keypoints: triples(kp, conf, dx).flat(), score: r3(score) };
}

function truth(seq: ClipSequence) {
  const c = seq.camera;
  return {
    description: `true 3D joints of ${seq.choice.clip} (frames ${seq.choice.start}, ${seq.choice.start + FRAME_STRIDE}, ... at 30 fps), as lift outputs them`,
    units: 'metres, camera frame (x right, y down, z forward), root-relative',
    fps: 30 / FRAME_STRIDE,
    jointNames: H36M_JOINTS,
    camera: { fx: r2(c.fx), fy: r2(c.fy), cx: r2(c.cx), cy: r2(c.cy), width: c.width, height: c.height },
    frames: seq.h36mWorld.map((p, i) => ({ frame: i, joints: Array.from(rootRelative(toCameraFrame(c, p)), r4) })),
  };
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value) + '\n');
  console.log(`wrote ${path}`);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), new Set());
  const split = readPreparedSplit(flagString(args, 'data') ?? 'data/prepared/test.safetensors');
  const out = flagString(args, 'out') ?? 'examples';
  mkdirSync(out, { recursive: true });
  const sequences = CLIPS.map((c) => makeSequence(split, c));
  const detections = sequences.map((s) => ({
    h36m: detect(new Rng(s.choice.seed + 1), s.camera, s.h36mWorld),
    coco: detect(new Rng(s.choice.seed + 2), s.camera, s.cocoWorld, COCO_NOISE_SLOT),
  }));
  sequences.forEach((s, i) => {
    const d = detections[i],
      c = s.camera;
    console.log(
      `${s.choice.name}: ${s.choice.clip}, ${s.h36mWorld.length} frames, ${c.width}x${c.height}, f = ${c.fx.toFixed(0)} px, camera ${c.position.map((v) => v.toFixed(2)).join(', ')}`,
    );
    writeJson(
      join(out, `${s.choice.name}-coco17.json`),
      d.coco.keypoints.map((kp, f) => cocoResult(f, kp, d.coco.confidence[f])),
    );
    writeJson(join(out, `${s.choice.name}-h36m17.json`), {
      imageSize: [c.width, c.height],
      format: 'h36m17',
      frames: d.h36m.keypoints.map((kp, f) => ({ keypoints: triples(kp, d.h36m.confidence[f]) })),
    });
    writeJson(join(out, `${s.choice.name}-truth.json`), truth(s));
  });
  // Two people: the clips' own images side by side (the second shifted right by the first's
  // width), as long as the shorter clip, detections shuffled per frame.
  const [a, b] = sequences;
  const frames = Math.min(a.h36mWorld.length, b.h36mWorld.length);
  const shuffle = new Rng(2);
  const results = [];
  for (let f = 0; f < frames; f++) {
    const pair = [
      cocoResult(f, detections[0].coco.keypoints[f], detections[0].coco.confidence[f]),
      cocoResult(f, detections[1].coco.keypoints[f], detections[1].coco.confidence[f], a.camera.width),
    ];
    results.push(...(shuffle.uniform() < 0.5 ? pair : pair.reverse()));
  }
  const size = [a.camera.width + b.camera.width, Math.max(a.camera.height, b.camera.height)];
  console.log(`two-people: ${frames} frames, ${size.join('x')}`);
  writeJson(join(out, 'two-people-coco17.json'), results);
  writeJson(join(out, 'two-people-truth.json'), {
    description: `left: ${a.choice.name}-truth.json, right: ${b.choice.name}-truth.json, first ${frames} frames of each`,
    imageSize: size,
    people: [a, b].map((s, i) => ({
      name: s.choice.name,
      xOffset: i === 0 ? 0 : a.camera.width,
      frames: truth(s).frames.slice(0, frames),
    })),
  });
}

main();
