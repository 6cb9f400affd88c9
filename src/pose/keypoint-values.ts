import { FORMATS, formatsWithKeypoints, type KeypointFormat } from './formats.js';
import { fail, isRecord, numberOf, setKeypoint, type Detection } from './keypoint-file.js';

/*
 * One person's keypoints from any of the ways files write them, into a Detection:
 *   [x0, y0, s0, x1, ...]                 flat triples (COCO results, OpenPose, plain JSON)
 *   [[x, y, s], ...]                      nested triples
 *   [[x, y], ...] + scores [s0, ...]      MMPose (keypoints + keypoint_scores)
 *   [x0, y0, z0, v0, ...], [[x, y, z, v], ...]  MediaPipe landmarks as numbers (v = visibility)
 *   [{x, y, z?, visibility?, presence?}]  MediaPipe landmark objects (score = the lower of
 *                                         visibility and presence; 1 when neither is given)
 * A flat list's stride (2, 3 or 4 numbers per keypoint) follows from the declared format's
 * keypoint count, else from which stride gives a known format's count (triples first).
 */

export interface KeypointValues {
  file: string;
  where: string;
  /** The keypoint list as found in the file. */
  value: unknown;
  /** Separate per-keypoint scores (MMPose keypoint_scores). */
  scores?: unknown;
  /** The declared format, when one is declared. */
  expect?: KeypointFormat;
  input: number;
}

const KNOWN = (k: number) => formatsWithKeypoints(k).length > 0;

export function readKeypointValues(v: KeypointValues): Detection {
  const { file, where, value } = v;
  if (!Array.isArray(value) || value.length === 0)
    fail(file, `${where}: the keypoints are missing or not a non-empty list`);
  let scores: unknown[] | undefined;
  if (v.scores !== undefined) {
    if (!Array.isArray(v.scores)) fail(file, `${where}: the keypoint scores are not a list`);
    scores = v.scores;
  }
  const first = value[0];
  return Array.isArray(first) || isRecord(first) ? perKeypoint(v, value, scores) : flat(v, value, scores);
}

function detection(k: number, input: number): Detection {
  return { input, keypoints: new Float32Array(2 * k), confidence: new Float32Array(k) };
}

function countError(v: KeypointValues, got: number): never {
  const declared =
    v.expect !== undefined
      ? `, but format ${v.expect.name} has ${v.expect.keypoints} (${3 * v.expect.keypoints} numbers)`
      : ` (known formats have ${[...new Set(Object.values(FORMATS).map((f) => f.keypoints))].sort((a, b) => a - b).join(', ')})`;
  fail(v.file, `${v.where}: ${got} keypoints${declared}; pass --format to say which layout this is`);
}

function scoreAt(v: KeypointValues, scores: unknown[] | undefined, k: number, i: number): number | undefined {
  if (!scores) return 1;
  if (scores.length !== k) fail(v.file, `${v.where}: ${scores.length} keypoint scores for ${k} keypoints`);
  return numberOf(scores[i]);
}

function flat(v: KeypointValues, list: unknown[], scores: unknown[] | undefined): Detection {
  const n = list.length;
  let stride: number | undefined;
  if (scores) stride = n % 2 === 0 && n / 2 === scores.length ? 2 : undefined;
  else if (v.expect !== undefined) stride = [3, 4, 2].find((s) => n === s * v.expect!.keypoints);
  else stride = [3, 4].find((s) => n % s === 0 && KNOWN(n / s));
  if (stride === undefined) {
    if (v.expect !== undefined && n % 3 === 0) countError(v, n / 3);
    fail(
      v.file,
      `${v.where}: ${n} numbers are not x, y, score triples (nor x, y, z, visibility) of ${v.expect !== undefined ? `format ${v.expect.name} (${v.expect.keypoints} keypoints)` : 'a known format'}; pass --format to say which layout this is`,
    );
  }
  const k = n / stride;
  if (v.expect !== undefined && k !== v.expect.keypoints) countError(v, k);
  const d = detection(k, v.input);
  for (let i = 0; i < k; i++) {
    const c = stride === 2 ? scoreAt(v, scores, k, i) : numberOf(list[stride * i + stride - 1]);
    setKeypoint(v.file, v.where, d, i, numberOf(list[stride * i]), numberOf(list[stride * i + 1]), c);
  }
  return d;
}

/** One entry per keypoint: [x, y, (score | z, visibility, presence?)] lists or {x, y, ...} landmark objects. */
function perKeypoint(v: KeypointValues, list: unknown[], scores: unknown[] | undefined): Detection {
  const k = list.length;
  if (v.expect !== undefined ? k !== v.expect.keypoints : !KNOWN(k)) countError(v, k);
  const d = detection(k, v.input);
  list.forEach((p, i) => {
    let x: unknown, y: unknown, own: number | undefined;
    if (Array.isArray(p) && p.length >= 2 && p.length <= 5) {
      [x, y] = p;
      own =
        p.length === 2
          ? 1
          : p.length === 3
            ? numberOf(p[2])
            : minScore(numberOf(p[3]), p.length === 5 ? numberOf(p[4]) : 1);
    } else if (isRecord(p) && 'x' in p && 'y' in p) {
      ({ x, y } = p);
      own =
        'score' in p
          ? numberOf(p.score)
          : 'confidence' in p
            ? numberOf(p.confidence)
            : minScore('visibility' in p ? numberOf(p.visibility) : 1, 'presence' in p ? numberOf(p.presence) : 1);
    } else {
      fail(
        v.file,
        `${v.where}: keypoint ${i} is not [x, y], [x, y, score], [x, y, z, visibility] or an {x, y, ...} landmark`,
      );
    }
    setKeypoint(v.file, v.where, d, i, numberOf(x), numberOf(y), scores ? scoreAt(v, scores, k, i) : own);
  });
  return d;
}

function minScore(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.min(a, b);
}
