import { FORMATS, cocoStyleFormat, formatsWithKeypoints, keypointFormat, type KeypointFormat } from './formats.js';
import { parseKeypointCsv } from './keypoint-csv.js';
import {
  fail,
  fpsValue,
  frameId,
  framesInOrder,
  imageSizeValue,
  isRecord,
  numberOf,
  personId,
  type Detection,
  type FoundDetection as Found,
  type FrameDetections,
  type KeypointFile,
  type RawKeypointFile as Partial,
  type ReadOptions,
} from './keypoint-file.js';
import { readKeypointValues } from './keypoint-values.js';
import { bestFittingFormat } from './sanity.js';

/*
 * Keypoint files as detectors write them, recognised from their structure:
 *
 *   CSV (.csv)                 frame,person[,score],x0,y0,s0,...   (keypoint-csv.ts)
 *   COCO / MMPose results      [{image_id, keypoints: [x, y, s, ...], score?, track_id?}]
 *   MMPose predictions         {meta_info?, instance_info: [{frame_id, instances: [{keypoints: [[x, y]], keypoint_scores, bbox_score?, track_id?}]}]},
 *                              MMPoseInferencer's [{frame_id, instances}] (a video) or [{keypoints, keypoint_scores, ...}] (one image)
 *   OpenPose frame             {people: [{pose_keypoints_2d: [x, y, s, ...], person_id?}]}  (a *_keypoints.json;
 *                              a folder of them: readOpenPoseFolder)
 *   MediaPipe Pose Landmarker  [{landmarks: [[{x, y, z, visibility, presence}, ...]], timestampMs?}]  (a result per frame,
 *                              as JSON.stringify writes tasks-vision's PoseLandmarkerResult; `pose_landmarks` as in Python),
 *                              normalised coordinates, converted with the image size
 *   plain JSON                 {imageSize?, format?, fps?, frames: [...]}, each frame either one person
 *                              ({keypoints}), several ({frame?, time?, people: [{id?, keypoints, score?}]}) or MediaPipe
 *                              landmarks; or frames as detections carrying {frame, person?|id?, keypoints}.
 *
 * Missing keypoints ((0, 0, 0), score 0, null/NaN) come out as position NaN, confidence 0.
 * The format is --format, else what the file says, else what its layout implies (COCO results:
 * coco17, OpenPose: by count, MediaPipe: mediapipe33), else the one format with that many
 * keypoints; 17 keypoints without a declared format are read in whichever of the COCO and
 * Human3.6M orders the skeleton fits (said in `assumed`).
 */

/** Reads a keypoint file of any supported kind; `name` (a path) picks CSV by its extension and names the file in messages. */
export function readKeypointText(name: string, text: string, options: ReadOptions = {}): KeypointFile {
  const declared = options.format !== undefined ? keypointFormat(options.format) : undefined;
  if (/\.csv$/i.test(name)) return finish(name, parseKeypointCsv(name, text, declared), declared);
  let doc: unknown;
  try {
    // A byte-order mark (editors on Windows write one) is not JSON: read past it, as the CSV reader does.
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    fail(name, `not valid JSON (${(e as Error).message})`);
  }
  return finish(name, readJson(name, doc, declared), declared);
}

/** An OpenPose output folder's *_keypoints.json files (name, text), any order: frames in the order of the number in each name. */
export function readOpenPoseFolder(
  folder: string,
  files: ReadonlyArray<{ name: string; text: string }>,
  options: ReadOptions = {},
): KeypointFile {
  if (files.length === 0) fail(folder, 'no *_keypoints.json files in this folder');
  const declared = options.format !== undefined ? keypointFormat(options.format) : undefined;
  const numbered = files.map((f) => ({ ...f, n: lastNumber(f.name) }));
  const allNumbered = numbered.every((f) => f.n !== undefined);
  numbered.sort((a, b) => (allNumbered ? a.n! - b.n! : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found: Found[] = [];
  const frameOrder: Array<number | string> = [];
  numbered.forEach((f, i) => {
    let doc: unknown;
    try {
      doc = JSON.parse(f.text);
    } catch (e) {
      fail(`${folder}/${f.name}`, `not valid JSON (${(e as Error).message})`);
    }
    if (!isRecord(doc) || !Array.isArray(doc.people))
      fail(`${folder}/${f.name}`, 'not an OpenPose frame ({"people": [...]})');
    const id = allNumbered ? f.n! : i;
    frameOrder.push(id);
    found.push(...openPosePeople(`${folder}/${f.name}`, doc.people, id, i, declared));
  });
  return finish(
    folder,
    { layout: `OpenPose folder (${files.length} *_keypoints.json files)`, found, frameOrder },
    declared,
  );
}

function lastNumber(name: string): number | undefined {
  const m = /(\d+)(?!.*\d)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function readJson(file: string, doc: unknown, declared: KeypointFormat | undefined): Partial {
  if (Array.isArray(doc)) {
    if (doc.length === 0) fail(file, 'the results list is empty');
    const first = doc[0];
    if (isRecord(first) && ('landmarks' in first || 'pose_landmarks' in first || 'poseLandmarks' in first))
      return mediaPipeList(file, doc, declared);
    if (isRecord(first) && 'people' in first) return openPoseList(file, doc, declared);
    if (isRecord(first) && 'instances' in first) return mmposeFrames(file, doc, declared);
    // MMPoseInferencer's saved prediction of one image: its instances, no frames.
    if (isRecord(first) && 'keypoint_scores' in first && !('image_id' in first))
      return {
        ...mmposeFrames(file, [{ frame_id: 0, instances: doc }], declared),
        layout: 'MMPose predictions (one image)',
      };
    return cocoResults(file, doc, declared);
  }
  if (!isRecord(doc))
    fail(
      file,
      'expected a JSON list of results or an object (OpenPose {"people"}, MMPose {"instance_info"}, MediaPipe {"landmarks"} or {"frames"})',
    );
  if (Array.isArray(doc.people)) {
    const found = openPosePeople(file, doc.people, 0, 0, declared);
    return { layout: 'OpenPose frame ({"people": [...]})', found, frameOrder: [0] };
  }
  if ('instance_info' in doc) {
    if (!Array.isArray(doc.instance_info)) fail(file, '"instance_info" must be a list of frames');
    return mmposeFrames(file, doc.instance_info, declared);
  }
  if ('landmarks' in doc || 'pose_landmarks' in doc || 'poseLandmarks' in doc)
    return { ...mediaPipeList(file, [doc], declared), imageSize: imageSizeOf(file, doc) };
  if ('frames' in doc) return plainJson(file, doc, declared);
  fail(
    file,
    'not a keypoint layout this reads: expected "frames", "people" (OpenPose), "instance_info" (MMPose), "landmarks" (MediaPipe), or a list of COCO results',
  );
}

function imageSizeOf(file: string, o: Record<string, unknown>): [number, number] | undefined {
  if ('imageSize' in o) return imageSizeValue(file, o.imageSize);
  if ('image_size' in o) return imageSizeValue(file, o.image_size, 'image_size');
  if ('width' in o || 'height' in o) return imageSizeValue(file, [o.width, o.height], 'width", "height');
  return undefined;
}

/**
 * The COCO-style format of a result's keypoints (flat, `stride` numbers per keypoint, or one list
 * per keypoint): coco17, halpe26 or wholebody133 by their count; coco17 when the value is no list
 * (its reader then says what is wrong).
 */
function cocoStyleOf(file: string, where: string, keypoints: unknown, stride: number): KeypointFormat {
  if (!Array.isArray(keypoints) || keypoints.length === 0) return FORMATS.coco17;
  const k = Array.isArray(keypoints[0]) || isRecord(keypoints[0]) ? keypoints.length : keypoints.length / stride;
  const format = cocoStyleFormat(k);
  if (!format)
    fail(
      file,
      `${where}: ${k} keypoints; COCO-style results have 17 (coco17), 26 (halpe26) or 133 (wholebody133): pass --format to say which layout this is`,
    );
  return format;
}

/** `[{image_id, keypoints: [x, y, s, ...], score?, track_id?}]` (COCO results; MMPose and others add track_id). */
function cocoResults(file: string, list: unknown[], declared: KeypointFormat | undefined): Partial {
  const first = list[0];
  const format = declared ?? cocoStyleOf(file, 'result 0', isRecord(first) ? first.keypoints : undefined, 3);
  const found: Found[] = [];
  let tracked = false;
  list.forEach((r, i) => {
    if (!isRecord(r)) fail(file, `result ${i}: not an object`);
    const id = frameId(r.image_id);
    if (id === undefined) fail(file, `result ${i}: missing image_id`);
    const where = `result ${i} (image_id ${id})`;
    const d = readKeypointValues({ file, where, value: r.keypoints, expect: format, input: i });
    const track = personId(r.track_id);
    if (track !== undefined) {
      d.id = track;
      tracked = true;
    }
    const score = personScore(file, where, r.score);
    if (score !== undefined) d.score = score;
    found.push({ frame: id, d, where });
  });
  return {
    layout: `COCO keypoint results${tracked ? ' with track_id' : ''}`,
    format: format.name,
    found,
    frameOrder: found.map((f) => f.frame),
  };
}

function personScore(file: string, where: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const s = numberOf(v);
  if (s === undefined || !Number.isFinite(s)) fail(file, `${where}: the person score is not a number`);
  return s;
}

function openPosePeople(
  file: string,
  people: unknown[],
  frame: number | string,
  input: number,
  declared: KeypointFormat | undefined,
): Found[] {
  return people.map((p, k) => {
    if (!isRecord(p)) fail(file, `person ${k}: not an object`);
    const where = `person ${k}`;
    if (!('pose_keypoints_2d' in p)) fail(file, `${where}: no "pose_keypoints_2d"`);
    const d = readKeypointValues({ file, where, value: p.pose_keypoints_2d, expect: declared, input });
    const id = personId(p.person_id);
    if (id !== undefined) d.id = id;
    return { frame, d, where: `${file}: ${where}` };
  });
}

function openPoseList(file: string, list: unknown[], declared: KeypointFormat | undefined): Partial {
  const found: Found[] = [];
  list.forEach((f, i) => {
    if (!isRecord(f) || !Array.isArray(f.people)) fail(file, `frame ${i}: not an OpenPose frame ({"people": [...]})`);
    found.push(...openPosePeople(file, f.people, i, i, declared));
  });
  return { layout: 'OpenPose frames list', found, frameOrder: list.map((_, i) => i) };
}

/** MMPose's saved predictions: per frame {frame_id, instances: [{keypoints: [[x, y]], keypoint_scores, bbox_score?, track_id?}]}. */
function mmposeFrames(file: string, frames: unknown[], declared: KeypointFormat | undefined): Partial {
  const first = frames.flatMap((f) => (isRecord(f) && Array.isArray(f.instances) ? f.instances : []))[0];
  const format = declared ?? cocoStyleOf(file, 'the first instance', isRecord(first) ? first.keypoints : undefined, 2);
  const found: Found[] = [];
  const frameOrder: Array<number | string> = [];
  frames.forEach((f, i) => {
    if (!isRecord(f) || !Array.isArray(f.instances)) fail(file, `instance_info[${i}]: not a frame with "instances"`);
    const id = frameId(f.frame_id) ?? i;
    frameOrder.push(id);
    f.instances.forEach((p, k) => {
      const where = `frame ${id} instance ${k}`;
      if (!isRecord(p)) fail(file, `${where}: not an object`);
      const scores = Array.isArray(p.keypoint_scores)
        ? p.keypoint_scores.map((s) => {
            const n = numberOf(s);
            return n === undefined || Number.isNaN(n) ? s : Math.min(1, Math.max(0, n));
          })
        : p.keypoint_scores;
      const d = readKeypointValues({ file, where, value: p.keypoints, scores, expect: format, input: i });
      const track = personId(p.track_id);
      if (track !== undefined) d.id = track;
      const score = personScore(file, where, Array.isArray(p.bbox_score) ? p.bbox_score[0] : p.bbox_score);
      if (score !== undefined) d.score = score;
      found.push({ frame: id, d, where });
    });
  });
  return { layout: 'MMPose predictions (instance_info)', format: format.name, found, frameOrder };
}

/** MediaPipe Pose Landmarker results, one per frame: {landmarks: [[33 landmarks] per person], timestampMs?}. */
function mediaPipeList(file: string, list: unknown[], declared: KeypointFormat | undefined): Partial {
  const format = declared ?? FORMATS.mediapipe33;
  const found: Found[] = [];
  const frameOrder: Array<number | string> = [];
  list.forEach((r, i) => {
    if (!isRecord(r)) fail(file, `result ${i}: not an object`);
    const id = frameId(r.frame) ?? i;
    frameOrder.push(id);
    found.push(...mediaPipePeople(file, r, id, i, format, `result ${i}`));
  });
  return { layout: 'MediaPipe Pose Landmarker results', format: format.name, normalised: true, found, frameOrder };
}

function mediaPipePeople(
  file: string,
  r: Record<string, unknown>,
  frame: number | string,
  input: number,
  format: KeypointFormat,
  at: string,
): Found[] {
  let people = r.landmarks ?? r.pose_landmarks ?? r.poseLandmarks;
  if (isRecord(people) && Array.isArray(people.landmark)) people = [people.landmark]; // legacy Solutions: {landmark: [...]}
  if (!Array.isArray(people)) fail(file, `${at}: "landmarks" is not a list`);
  // One person's 33 landmarks directly, or a list of people.
  if (people.length > 0 && (isRecord(people[0]) || typeof people[0] === 'number')) people = [people];
  const time = timeOf(file, at, r);
  return (people as unknown[]).map((p, k) => {
    const where = `${at} person ${k}`;
    return { frame, time, d: readKeypointValues({ file, where, value: p, expect: format, input }), where };
  });
}

function timeOf(file: string, at: string, r: Record<string, unknown>): number | undefined {
  const ms = r.timestampMs ?? r.timestamp_ms;
  if (ms !== undefined) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) fail(file, `${at}: "timestampMs" must be a number`);
    return ms / 1000;
  }
  if (r.time !== undefined) {
    if (typeof r.time !== 'number' || !Number.isFinite(r.time)) fail(file, `${at}: "time" must be a number (seconds)`);
    return r.time;
  }
  return undefined;
}

/** `{imageSize?, format?, fps?, frames: [...]}`, see the header comment. */
function plainJson(file: string, o: Record<string, unknown>, declaredFlag: KeypointFormat | undefined): Partial {
  if (o.format !== undefined && typeof o.format !== 'string') fail(file, '"format" must be a string');
  const declared = declaredFlag ?? (o.format !== undefined ? keypointFormat(o.format as string) : undefined);
  if (!Array.isArray(o.frames) || o.frames.length === 0) fail(file, '"frames" must be a non-empty list');
  const frames = o.frames as unknown[];
  const imageSize = imageSizeOf(file, o);
  const fps = fpsValue(file, o.fps);
  const found: Found[] = [];
  const frameOrder: Array<number | string> = [];
  const asDetections = frames.some((f) => isRecord(f) && 'frame' in f && 'keypoints' in f);
  let mediaPipe = false;
  frames.forEach((f, i) => {
    if (!isRecord(f)) fail(file, `frame ${i}: not an object`);
    const time = timeOf(file, `frame ${i}`, f);
    if (asDetections) {
      // Detections, several per frame: {frame, person?, keypoints}.
      const id = frameId(f.frame);
      if (id === undefined)
        fail(file, `frames[${i}]: "frame" must be a number or a name (every entry has one when any has)`);
      const d = plainDetection(file, `frames[${i}]`, f, declared, i);
      if (!frameOrder.includes(id)) frameOrder.push(id);
      found.push({ frame: id, time, d, where: `frames[${i}]` });
      return;
    }
    const id = frameId(f.frame) ?? i;
    frameOrder.push(id);
    if (Array.isArray(f.people)) {
      f.people.forEach((p, k) => {
        if (!isRecord(p)) fail(file, `frame ${i} person ${k}: not an object`);
        found.push({
          frame: id,
          time,
          d: plainDetection(file, `frame ${i} person ${k}`, p, declared, i),
          where: `frame ${i} person ${k}`,
        });
      });
    } else if ('landmarks' in f || 'pose_landmarks' in f || 'poseLandmarks' in f) {
      mediaPipe = true;
      found.push(...mediaPipePeople(file, f, id, i, declared ?? FORMATS.mediapipe33, `frame ${i}`));
    } else {
      found.push({ frame: id, time, d: plainDetection(file, `frame ${i}`, f, declared, i), where: `frame ${i}` });
    }
  });
  const layout = mediaPipe
    ? 'MediaPipe landmarks in {"frames"}'
    : asDetections
      ? 'plain JSON, one entry per detection'
      : 'plain JSON';
  return {
    layout,
    format: declared?.name ?? (mediaPipe ? 'mediapipe33' : undefined),
    imageSize,
    fps,
    normalised: mediaPipe || undefined,
    found,
    frameOrder,
  };
}

function plainDetection(
  file: string,
  where: string,
  o: Record<string, unknown>,
  declared: KeypointFormat | undefined,
  input: number,
): Detection {
  const d = readKeypointValues({
    file,
    where,
    value: o.keypoints,
    scores: o.scores ?? o.keypoint_scores,
    expect: declared,
    input,
  });
  const id = personId(o.id ?? o.person ?? o.track_id);
  if (id !== undefined) d.id = id;
  const score = personScore(file, where, o.score);
  if (score !== undefined) d.score = score;
  return d;
}

/** Settles the format, checks every detection has its keypoint count and groups the detections by frame. */
export function finish(file: string, p: Partial, declared: KeypointFormat | undefined): KeypointFile {
  if (p.found.length === 0) fail(file, 'no person is detected in any frame');
  const assumed = [...(p.assumed ?? [])];
  const k = p.found[0].d.confidence.length;
  const odd = p.found.find((f) => f.d.confidence.length !== k);
  let format = declared?.name ?? p.format;
  if (odd)
    fail(
      file,
      `${odd.where}: ${odd.d.confidence.length} keypoints, but ${p.found[0].where} has ${k}: every detection must have the same layout`,
    );
  if (format === undefined) {
    const candidates = formatsWithKeypoints(k);
    if (candidates.length === 0)
      fail(
        file,
        `${k} keypoints: no known format has that many (${Object.values(FORMATS)
          .map((f) => `${f.name} ${f.keypoints}`)
          .join(', ')}); pass --format`,
      );
    if (candidates.length === 1) {
      format = candidates[0].name;
      if (!/OpenPose/.test(p.layout) || format !== 'openpose25')
        assumed.push(`format ${format} (${k} keypoints per person)`);
    }
  }
  const frames = group(file, p);
  // Without a format yet, the skeleton fit below picks one.
  const result: KeypointFile = { format: format ?? 'h36m17', layout: p.layout, assumed, frames };
  if (p.imageSize) result.imageSize = p.imageSize;
  if (p.fps) result.fps = p.fps;
  if (p.normalised) result.normalised = true;
  if (format === undefined) {
    const best = bestFittingFormat(result, k);
    result.format = best.format;
    const others = Object.entries(best.residuals)
      .filter(([n]) => n !== best.format)
      .map(([n, r]) => `${n} ${r.toFixed(2)} m`)
      .join(', ');
    assumed.push(
      `format ${best.format}: ${k} keypoints and no "format" given, and the skeleton fits the ${best.format} joint order best (mean-skeleton fit ${best.residuals[best.format].toFixed(2)} m; ${others}); pass --format to choose`,
    );
  } else {
    const f = keypointFormat(format);
    const bad = p.found.find((x) => x.d.confidence.length !== f.keypoints);
    if (bad)
      fail(
        file,
        `${bad.where}: ${bad.d.confidence.length} keypoints, but format ${f.name} has ${f.keypoints} (${3 * f.keypoints} numbers); pass --format to say which layout this is`,
      );
  }
  return result;
}

function group(file: string, p: Partial): FrameDetections[] {
  const perFrame = new Map<number | string, Detection[]>();
  const times = new Map<number | string, number>();
  for (const id of p.frameOrder) if (!perFrame.has(id)) perFrame.set(id, []);
  for (const f of p.found) {
    if (!perFrame.has(f.frame)) perFrame.set(f.frame, []);
    const same = perFrame.get(f.frame)!;
    if (f.d.id !== undefined && same.some((d) => d.id === f.d.id))
      fail(file, `${f.where}: person "${f.d.id}" appears twice in frame ${f.frame}`);
    same.push(f.d);
    if (f.time !== undefined) times.set(f.frame, f.time);
  }
  return framesInOrder(perFrame, times);
}
