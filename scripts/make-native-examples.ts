/**
 * Writes the bundled examples in detectors' native layouts from the COCO ones (examples/README.md):
 *
 *   npx tsx scripts/make-native-examples.ts [--out examples]
 *
 *   walk-openpose/walk_000000000000_keypoints.json, ...   OpenPose BODY_25, one file per frame
 *   walk-mediapipe.json                                   MediaPipe Pose Landmarker results, one per frame
 *
 * Both hold exactly the detections of walk-coco17.json (640x480, 15 fps), re-laid out:
 * - OpenPose: neck = mid-shoulders, mid-hip = mid-hips (score: the lower of the two), the rest
 *   one to one; the feet (19-24) are not in the source and are written as 0, 0, 0, which is how
 *   OpenPose writes keypoints it did not detect.
 * - MediaPipe: x, y normalised by the image size, visibility = the COCO score, presence 1, z 0
 *   (lift does not use z); the landmarks COCO lacks (eye corners, mouth, fingers, heels, toes) are
 *   placed a few pixels from their eye, nose, wrist or ankle (lift does not use them either).
 * Deterministic: rerunning gives the same files.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagString, parseArgs } from '../src/cli/args.js';
import { COCO17, MEDIAPIPE33, OPENPOSE25 } from '../src/pose/formats.js';

type Point = [number, number, number]; // x, y, score
const SIZE: [number, number] = [640, 480];
const FPS = 15;

const r2 = (v: number) => Math.round(v * 100) / 100;
const r5 = (v: number) => Math.round(v * 1e5) / 1e5;

function points(keypoints: number[]): Point[] {
  return Array.from({ length: 17 }, (_, k) => [keypoints[3 * k], keypoints[3 * k + 1], keypoints[3 * k + 2]]);
}

const mid = (a: Point, b: Point): Point => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, Math.min(a[2], b[2])];
const near = (p: Point, dx: number, dy: number, score = p[2]): Point => [p[0] + dx, p[1] + dy, score];

function openPose(c: Point[]): number[] {
  const out: Point[] = Array.from({ length: 25 }, () => [0, 0, 0]);
  for (const [name, k] of Object.entries(OPENPOSE25)) {
    if (name in COCO17) out[k] = c[COCO17[name as keyof typeof COCO17]];
  }
  out[OPENPOSE25.neck] = mid(c[COCO17.lSho], c[COCO17.rSho]);
  out[OPENPOSE25.midHip] = mid(c[COCO17.lHip], c[COCO17.rHip]);
  return out.flatMap(([x, y, s]) => [r2(x), r2(y), s]);
}

function mediaPipe(c: Point[]) {
  const out: Point[] = Array.from({ length: 33 }, () => [0, 0, 0]);
  for (const [name, k] of Object.entries(MEDIAPIPE33)) out[k] = c[COCO17[name as keyof typeof COCO17]];
  const [le, re, nose] = [c[COCO17.lEye], c[COCO17.rEye], c[COCO17.nose]];
  const ex = (le[0] - re[0]) / 4,
    ey = (le[1] - re[1]) / 4;
  out[2] = le;
  out[1] = near(le, -ex, -ey);
  out[3] = near(le, ex, ey); // left eye centre, inner, outer
  out[5] = re;
  out[4] = near(re, ex, ey);
  out[6] = near(re, -ex, -ey); // right eye centre, inner, outer
  out[9] = near(nose, ex, 6);
  out[10] = near(nose, -ex, 6); // mouth left, right
  const hand = (wri: Point, elb: Point, first: number) => {
    const dx = (wri[0] - elb[0]) / 5,
      dy = (wri[1] - elb[1]) / 5;
    out[first] = near(wri, dx - dy / 2, dy + dx / 2); // pinky
    out[first + 2] = near(wri, dx, dy); // index
    out[first + 4] = near(wri, dx / 2 + dy / 2, dy / 2 - dx / 2); // thumb
  };
  hand(c[COCO17.lWri], c[COCO17.lElb], 17);
  hand(c[COCO17.rWri], c[COCO17.rElb], 18);
  out[29] = near(c[COCO17.lAnk], 0, 5);
  out[30] = near(c[COCO17.rAnk], 0, 5); // heels
  out[31] = near(c[COCO17.lAnk], 4, 9);
  out[32] = near(c[COCO17.rAnk], -4, 9); // foot index
  return out.map(([x, y, s]) => ({ x: r5(x / SIZE[0]), y: r5(y / SIZE[1]), z: 0, visibility: s, presence: 1 }));
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), new Set());
  const outDir = flagString(args, 'out') ?? 'examples';
  const results = JSON.parse(readFileSync(join(outDir, 'walk-coco17.json'), 'utf8')) as Array<{
    image_id: number;
    keypoints: number[];
  }>;
  const folder = join(outDir, 'walk-openpose');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const r of results) {
    const doc = {
      version: 1.3,
      people: [
        {
          person_id: [-1],
          pose_keypoints_2d: openPose(points(r.keypoints)),
          face_keypoints_2d: [],
          hand_left_keypoints_2d: [],
          hand_right_keypoints_2d: [],
          pose_keypoints_3d: [],
          face_keypoints_3d: [],
          hand_left_keypoints_3d: [],
          hand_right_keypoints_3d: [],
        },
      ],
    };
    writeFileSync(
      join(folder, `walk_${String(r.image_id).padStart(12, '0')}_keypoints.json`),
      JSON.stringify(doc) + '\n',
    );
  }
  console.log(`wrote ${results.length} files to ${folder}`);
  const mp = results.map((r) => ({
    timestampMs: Math.round((r.image_id * 1000) / FPS),
    landmarks: [mediaPipe(points(r.keypoints))],
  }));
  writeFileSync(join(outDir, 'walk-mediapipe.json'), JSON.stringify(mp) + '\n');
  console.log(`wrote ${join(outDir, 'walk-mediapipe.json')}`);
}

main();
