import { expect } from 'chai';
import fc from 'fast-check';
import { DiffPoseError, InputError } from '../../src/errors.js';
import { COCO17, MEDIAPIPE33, OPENPOSE25 } from '../../src/pose/formats.js';
import { toPixels } from '../../src/pose/keypoint-file.js';
import { readKeypointText, readOpenPoseFolder } from '../../src/pose/read-keypoints.js';
import { sanityWarnings } from '../../src/pose/sanity.js';
import { dropWeakDetections, trackPeople } from '../../src/pose/track-people.js';
import { createProgress } from '../../src/cli/progress.js';

/** A COCO-17 person standing at horizontal position x (pixels), 17 [x, y, score] triples flattened. */
function person(x: number, score = 0.9): number[] {
  const shape = [
    [0, 20],
    [-5, 15],
    [5, 15],
    [-10, 18],
    [10, 18],
    [-25, 50],
    [25, 50],
    [-30, 90],
    [30, 90],
    [-32, 130],
    [32, 130],
    [-15, 130],
    [15, 130],
    [-15, 190],
    [15, 190],
    [-15, 250],
    [15, 250],
  ];
  return shape.flatMap(([dx, y]) => [x - dx, y, score]);
}

describe('keypoint files and tracks', () => {
  it('COCO results: frames sorted by numeric image_id, one track per person whatever the detection order', () => {
    // Two people walking towards each other's side slowly; frame 2 comes first in the file and
    // the detections' order flips between frames.
    const results = [
      { image_id: 2, keypoints: person(220), score: 1 },
      { image_id: 2, keypoints: person(400), score: 1 },
      { image_id: 0, keypoints: person(200), score: 1 },
      { image_id: 0, keypoints: person(420), score: 1 },
      { image_id: 1, keypoints: person(410), score: 1 },
      { image_id: 1, keypoints: person(210), score: 1 },
    ];
    const file = readKeypointText('x.json', JSON.stringify(results));
    expect(file.format).to.equal('coco17');
    expect(file.frames.map((f) => f.id)).to.deep.equal([0, 1, 2]);
    const tracks = trackPeople(file);
    expect(tracks.map((t) => t.inputs)).to.deep.equal([
      [2, 5, 0],
      [3, 4, 1],
    ]);
    expect(tracks[0].keypoints[0]).to.equal(200); // nose x of the left person in frame 0
    expect(tracks[1].frames).to.deep.equal([0, 1, 2]);
  });

  it('a person who appears later starts a new track; one who vanishes for a frame keeps theirs', () => {
    const results = [
      { image_id: 0, keypoints: person(200) },
      { image_id: 1, keypoints: person(600) },
      { image_id: 1, keypoints: person(205) },
      { image_id: 2, keypoints: person(595) },
      { image_id: 3, keypoints: person(590) },
      { image_id: 3, keypoints: person(215) },
    ];
    const tracks = trackPeople(readKeypointText('x.json', JSON.stringify(results)));
    expect(tracks.map((t) => t.frames)).to.deep.equal([
      [0, 1, 3],
      [1, 2, 3],
    ]);
  });

  it("zero-score keypoints (OpenPose's missing ones at 0, 0) do not move a person's box", () => {
    const right = person(900);
    for (const k of [9, 10, 15, 16]) right.splice(3 * k, 3, 0, 0, 0);
    // Counted in, the zeros would stretch the right person's box over the left one's.
    const tracks = trackPeople(
      readKeypointText(
        'x.json',
        JSON.stringify([
          { image_id: 0, keypoints: person(300) },
          { image_id: 0, keypoints: person(900) },
          { image_id: 1, keypoints: right },
          { image_id: 1, keypoints: person(305) },
        ]),
      ),
    );
    expect(tracks.map((t) => t.inputs)).to.deep.equal([
      [0, 3],
      [1, 2],
    ]);
  });

  it('plain JSON: nested or flat triples, its own format and image size', () => {
    const file = readKeypointText(
      'p.json',
      JSON.stringify({
        imageSize: [640, 480],
        format: 'coco17',
        frames: [
          { keypoints: person(100) },
          { keypoints: Array.from({ length: 17 }, (_, k) => person(100).slice(3 * k, 3 * k + 3)) },
        ],
      }),
    );
    expect(file.imageSize).to.deep.equal([640, 480]);
    expect(Array.from(file.frames[0].detections[0].keypoints)).to.deep.equal(
      Array.from(file.frames[1].detections[0].keypoints),
    );
  });

  it('CSV: comment keys, numeric frames in order, any person labels, line numbers as inputs', () => {
    const header = `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`;
    const text = [
      '# made by hand',
      '# imageSize: 800x600',
      '',
      header,
      `1,b,${person(300).join(',')}`,
      `0,a,${person(100).join(',')}`,
      `0,b,${person(305).join(',')}`,
      `1,a,${person(110).join(',')}`,
      '',
    ].join('\n');
    const file = readKeypointText('k.csv', text);
    expect(file.imageSize).to.deep.equal([800, 600]);
    expect(file.format).to.equal('coco17');
    expect(file.frames.map((f) => f.id)).to.deep.equal([0, 1]);
    expect(trackPeople(file).map((t) => t.inputs)).to.deep.equal([
      [6, 8],
      [7, 5],
    ]);
  });

  it("CSV person ids: a number where the cell is that number's spelling, else the text, so differently written ids stay apart", () => {
    const header = `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`;
    const rows = ['7', '007', '1.1', '1.10', '0x10', 'alice'].map(
      (id, i) => `0,${id},${person(100 + 10 * i).join(',')}`,
    );
    const file = readKeypointText('k.csv', [header, ...rows].join('\n'));
    expect(file.frames[0].detections.map((d) => d.id)).to.deep.equal([7, '007', 1.1, '1.10', '0x10', 'alice']);
  });

  it('CSV errors name the line', () => {
    const header = `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`;
    expect(() => readKeypointText('k.csv', `${header}\n0,0,1,2\n`)).to.throw(
      InputError,
      /k\.csv: line 2: 4 columns, expected 53/,
    );
    expect(() =>
      readKeypointText('k.csv', `${header}\n0,0,${person(1).join(',')}\n0,0,${person(1).join(',')}\n`),
    ).to.throw(InputError, /line 3: person "0" appears twice in frame 0/);
    expect(() => readKeypointText('k.csv', 'x,y\n')).to.throw(InputError, /must start with "frame,person"/);
    // CR-only line endings: one line, which used to read as a comment swallowing the file ("no header row").
    for (const text of [
      `# format: coco17\r${header}\r0,0,${person(1).join(',')}\r`,
      `${header}\r0,0,${person(1).join(',')}`,
    ])
      expect(() => readKeypointText('k.csv', text)).to.throw(
        InputError,
        /k\.csv: line 1: a carriage return \(CR\) inside/,
      );
    expect(() => readKeypointText('k.csv', `${header}\n`, { format: 'openpose25' })).to.throw(
      InputError,
      /17 keypoints, but format openpose25 has 25/,
    );
    expect(() => readKeypointText('k.csv', `${header}\n0,0,${person(1).join(',').replace('0.9', 'high')}\n`)).to.throw(
      InputError,
      /line 2: keypoint 0 is not three finite numbers \(x, y, score\)/,
    );
  });

  it('JSON errors say what is wrong and where', () => {
    expect(() => readKeypointText('a.json', '[]')).to.throw(InputError, /a\.json: the results list is empty/);
    expect(() => readKeypointText('a.json', '[{"keypoints": []}]')).to.throw(InputError, /result 0: missing image_id/);
    expect(() => readKeypointText('a.json', '{"frames": [{"keypoints": [[1, 2, 3]]}]}')).to.throw(
      InputError,
      /frame 0: 1 keypoints \(known formats have 17, 18, 25, 26, 33, 133\); pass --format/,
    );
    expect(() => readKeypointText('a.json', '{"format": "h36m17", "frames": [{"keypoints": [[1, 2, 3]]}]}')).to.throw(
      InputError,
      /frame 0: 1 keypoints, but format h36m17 has 17/,
    );
    expect(() => readKeypointText('a.json', '{"frames": []}')).to.throw(
      InputError,
      /"frames" must be a non-empty list/,
    );
    expect(() => readKeypointText('a.json', '{"imageSize": [0, 4], "frames": [{}]}')).to.throw(
      InputError,
      /"imageSize" must be \[width, height\]/,
    );
    expect(() => readKeypointText('a.json', JSON.stringify([{ image_id: 1, keypoints: person(1, 2) }]))).to.throw(
      InputError,
      /score 2 is outside \[0, 1\]/,
    );
  });
});

/** The COCO person re-laid out in another format's order (keypoints COCO lacks at 0, 0, 0). */
function relayout(coco: number[], to: Record<string, number>, size: number): number[] {
  const out = new Array<number>(size * 3).fill(0);
  for (const [name, k] of Object.entries(COCO17))
    if (name in to) out.splice(3 * to[name], 3, ...coco.slice(3 * k, 3 * k + 3));
  return out;
}

describe('native keypoint layouts', () => {
  it('OpenPose: one frame with two people, person_id kept, (0, 0, 0) read as missing', () => {
    const a = relayout(person(200), OPENPOSE25, 25),
      b = relayout(person(500), OPENPOSE25, 25);
    const file = readKeypointText(
      'f_000000000007_keypoints.json',
      JSON.stringify({
        version: 1.3,
        people: [
          { person_id: [-1], pose_keypoints_2d: a },
          { person_id: [4], pose_keypoints_2d: b },
        ],
      }),
    );
    expect([file.layout, file.format, file.frames.length]).to.deep.equal([
      'OpenPose frame ({"people": [...]})',
      'openpose25',
      1,
    ]);
    const [d0, d1] = file.frames[0].detections;
    expect([d0.id, d1.id]).to.deep.equal([undefined, 4]);
    expect(Number.isNaN(d0.keypoints[2 * OPENPOSE25.neck])).to.equal(true); // neck was not filled by relayout: (0, 0, 0)
    expect(d0.confidence[OPENPOSE25.neck]).to.equal(0);
    expect(file.assumed).to.deep.equal([]);
  });

  it('OpenPose folder: frames by the number in the file names, empty frames kept, 54 numbers = openpose18', () => {
    const frame = (x: number[] | undefined) => JSON.stringify({ people: x ? [{ pose_keypoints_2d: x }] : [] });
    const p = (x: number) =>
      relayout(
        person(x),
        {
          nose: 0,
          lSho: 5,
          rSho: 2,
          lElb: 6,
          rElb: 3,
          lWri: 7,
          rWri: 4,
          lHip: 11,
          rHip: 8,
          lKnee: 12,
          rKnee: 9,
          lAnk: 13,
          rAnk: 10,
          lEye: 15,
          rEye: 14,
          lEar: 17,
          rEar: 16,
        },
        18,
      );
    const file = readOpenPoseFolder('out', [
      { name: 'v_000000000010_keypoints.json', text: frame(p(220)) },
      { name: 'v_000000000002_keypoints.json', text: frame(p(200)) },
      { name: 'v_000000000003_keypoints.json', text: frame(undefined) },
    ]);
    expect(file.format).to.equal('openpose18');
    expect(file.frames.map((f) => [f.id, f.detections.length])).to.deep.equal([
      [2, 1],
      [3, 0],
      [10, 1],
    ]);
    expect(trackPeople(file).map((t) => t.frames)).to.deep.equal([[2, 10]]);
    expect(() => readOpenPoseFolder('out', [{ name: 'a_keypoints.json', text: '{"people": [{}]}' }])).to.throw(
      InputError,
      /out\/a_keypoints\.json: person 0: no "pose_keypoints_2d"/,
    );
  });

  it('MediaPipe Pose Landmarker results: normalised objects or [x, y, z, visibility] lists, timestamps, scaled to pixels', () => {
    const landmarks = relayout(person(320), MEDIAPIPE33, 33);
    const objects = Array.from({ length: 33 }, (_, k) => ({
      x: landmarks[3 * k] / 640,
      y: landmarks[3 * k + 1] / 480,
      z: 0,
      visibility: landmarks[3 * k + 2],
      presence: 0.8,
    }));
    const quads = objects.flatMap((o) => [o.x, o.y, o.z, o.visibility]);
    const layouts = [
      {
        score: 0.8,
        results: [
          { timestampMs: 0, landmarks: [objects] },
          { timestampMs: 40, landmarks: [objects] },
        ],
      }, // score: min(visibility, presence)
      {
        score: 0.9,
        results: [
          { timestampMs: 0, landmarks: [quads] },
          { timestampMs: 40, pose_landmarks: quads },
        ],
      },
    ];
    for (const { score, results } of layouts) {
      const file = readKeypointText('mp.json', JSON.stringify(results));
      expect([file.layout, file.format, file.normalised]).to.deep.equal([
        'MediaPipe Pose Landmarker results',
        'mediapipe33',
        true,
      ]);
      expect(file.frames.map((f) => f.time)).to.deep.equal([0, 0.04]);
      const d = toPixels(file, [640, 480]).frames[1].detections[0];
      expect(d.keypoints[2 * MEDIAPIPE33.lSho]).to.be.closeTo(landmarks[3 * MEDIAPIPE33.lSho], 1e-3);
      expect(d.keypoints[2 * MEDIAPIPE33.lSho + 1]).to.be.closeTo(landmarks[3 * MEDIAPIPE33.lSho + 1], 1e-3);
      expect(d.confidence[MEDIAPIPE33.lSho]).to.be.closeTo(score, 1e-6);
      expect(Number.isNaN(d.keypoints[2 * 29])).to.equal(true); // the left heel: a (0, 0, 0) landmark
    }
  });

  it("COCO results and MMPose predictions of Halpe's 26 or COCO-WholeBody's 133 keypoints: their body read as COCO's", () => {
    const extra = (x: number, k: number) => [
      ...person(x),
      ...Array.from({ length: k - 17 }, (_, i) => [900 + i, 700 - i, 0.5]).flat(),
    ];
    const whole = readKeypointText('w.json', JSON.stringify([{ image_id: 0, keypoints: extra(200, 133), score: 0.9 }]));
    expect(whole.format).to.equal('wholebody133');
    const body = readKeypointText('c.json', JSON.stringify([{ image_id: 0, keypoints: person(200), score: 0.9 }]));
    expect(Array.from(whole.frames[0].detections[0].keypoints.subarray(0, 34))).to.deep.equal(
      Array.from(body.frames[0].detections[0].keypoints),
    );
    const halpe = readKeypointText(
      'h.json',
      JSON.stringify({
        instance_info: [
          {
            frame_id: 0,
            instances: [
              {
                keypoints: Array.from({ length: 26 }, (_, k) => extra(300, 26).slice(3 * k, 3 * k + 2)),
                keypoint_scores: new Array(26).fill(0.8),
              },
            ],
          },
        ],
      }),
    );
    expect([halpe.layout, halpe.format]).to.deep.equal(['MMPose predictions (instance_info)', 'halpe26']);
    expect(() =>
      readKeypointText('x.json', JSON.stringify([{ image_id: 0, keypoints: extra(200, 20), score: 0.9 }])),
    ).to.throw(InputError, /result 0: 20 keypoints; COCO-style results have 17 \(coco17\), 26 \(halpe26\) or 133/);
  });

  it('MMPose predictions and COCO results with track_id: ids and person scores kept', () => {
    const nested = (x: number) => Array.from({ length: 17 }, (_, k) => person(x).slice(3 * k, 3 * k + 2));
    const file = readKeypointText(
      'mm.json',
      JSON.stringify({
        meta_info: {},
        instance_info: [
          {
            frame_id: 1,
            instances: [
              { keypoints: nested(200), keypoint_scores: new Array(17).fill(1.3), bbox_score: 0.9, track_id: 7 },
            ],
          },
          {
            frame_id: 2,
            instances: [
              { keypoints: nested(210), keypoint_scores: new Array(17).fill(0.5), bbox_score: [0.8], track_id: 7 },
            ],
          },
        ],
      }),
    );
    expect([file.layout, file.format]).to.deep.equal(['MMPose predictions (instance_info)', 'coco17']);
    expect(file.frames.map((f) => f.detections[0].id)).to.deep.equal([7, 7]);
    expect(file.frames[0].detections[0].confidence[0]).to.equal(1); // RTMPose-style scores above 1 clipped
    expect(file.frames[1].detections[0].score).to.be.closeTo(0.8, 1e-9);
    const coco = readKeypointText(
      'c.json',
      JSON.stringify([{ image_id: 0, track_id: 'alice', keypoints: person(1), score: 0.7 }]),
    );
    expect(coco.layout).to.equal('COCO keypoint results with track_id');
    // MMPoseInferencer's prediction of one image: a bare list of instances.
    const image = readKeypointText(
      'img.json',
      JSON.stringify([
        { keypoints: nested(200), keypoint_scores: new Array(17).fill(0.9), bbox: [[0, 0, 10, 10]], bbox_score: 0.7 },
        { keypoints: nested(400), keypoint_scores: new Array(17).fill(0.8), bbox: [[0, 0, 10, 10]], bbox_score: 0.6 },
      ]),
    );
    expect([image.layout, image.format, image.frames.length]).to.deep.equal([
      'MMPose predictions (one image)',
      'coco17',
      1,
    ]);
    expect(image.frames[0].detections.map((d) => d.score)).to.deep.equal([0.7, 0.6]);
    expect(trackPeople(coco).map((t) => t.id)).to.deep.equal(['alice']);
  });

  it('plain JSON: several people per frame, as "people" lists or as entries with frame/person keys (3 frames x 2 people stay 3 frames)', () => {
    const people = readKeypointText(
      'p.json',
      JSON.stringify({
        imageSize: [640, 480],
        format: 'coco17',
        fps: 30,
        frames: [0, 1, 2].map((f) => ({
          people: [
            { id: 'a', keypoints: person(100 + f) },
            { id: 'b', keypoints: person(400 + f) },
          ],
        })),
      }),
    );
    const entries = readKeypointText(
      'p.json',
      JSON.stringify({
        imageSize: [640, 480],
        format: 'coco17',
        frames: [0, 1, 2].flatMap((f) => [
          { frame: f, person: 'b', keypoints: person(400 + f) },
          { frame: f, person: 'a', keypoints: person(100 + f) },
        ]),
      }),
    );
    for (const file of [people, entries]) {
      expect(file.frames.map((f) => f.detections.length)).to.deep.equal([2, 2, 2]);
      const tracks = trackPeople(file);
      expect(tracks.map((t) => [t.id, t.frames])).to.deep.equal([
        ['a', [0, 1, 2]],
        ['b', [0, 1, 2]],
      ]);
    }
    expect(people.fps).to.equal(30);
    expect(entries.layout).to.equal('plain JSON, one entry per detection');
    expect(() =>
      readKeypointText(
        'p.json',
        JSON.stringify({
          frames: [
            { frame: 0, person: 'a', keypoints: person(1) },
            { frame: 0, person: 'a', keypoints: person(2) },
          ],
        }),
      ),
    ).to.throw(InputError, /person "a" appears twice in frame 0/);
  });

  it('17 keypoints without a format: the joint order the skeleton fits, said in `assumed`', () => {
    const coco = readKeypointText('p.json', JSON.stringify({ frames: [{ keypoints: person(300) }] }));
    expect(coco.format).to.equal('coco17');
    expect(coco.assumed[0]).to.match(
      /^format coco17: 17 keypoints and no "format" given, and the skeleton fits the coco17 joint order best \(mean-skeleton fit 0\.\d+ m; h36m17 0\.\d+ m\)/,
    );
    const h36m = [
      [0, 250],
      [-12, 250],
      [-12, 340],
      [-12, 420],
      [12, 250],
      [12, 340],
      [12, 420],
      [0, 200],
      [0, 160],
      [0, 140],
      [0, 120],
      [18, 160],
      [20, 210],
      [21, 250],
      [-18, 160],
      [-20, 210],
      [-21, 250],
    ].flatMap(([x, y]) => [300 + 1.8 * x, y, 0.9]);
    expect(readKeypointText('p.json', JSON.stringify({ frames: [{ keypoints: h36m }] })).format).to.equal('h36m17');
    expect(
      readKeypointText('p.json', JSON.stringify({ frames: [{ keypoints: relayout(person(1), OPENPOSE25, 25) }] }))
        .assumed,
    ).to.deep.equal(['format openpose25 (25 keypoints per person)']);
  });

  it('missing values: null, "nan", empty CSV cells, score 0 and (0, 0) are missing; Infinity and bad scores are errors', () => {
    const kp = person(300);
    kp.splice(0, 3, null as unknown as number, 5, 0.9);
    kp.splice(3, 3, 10, 20, 0);
    kp.splice(6, 3, 0, 0, 0.7);
    const d = readKeypointText('p.json', JSON.stringify({ format: 'coco17', frames: [{ keypoints: kp }] })).frames[0]
      .detections[0];
    expect(Array.from(d.confidence.slice(0, 4))).to.deep.equal([0, 0, 0, 0.9].map(Math.fround));
    expect([0, 1, 2, 3, 4, 5].map((i) => Number.isNaN(d.keypoints[i]))).to.deep.equal([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    const header = `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`;
    const csv = readKeypointText('k.csv', `${header}\n0,a,nan,,0.5,${person(300).slice(3).join(',')}\n`);
    expect(csv.frames[0].detections[0].confidence[0]).to.equal(0);
    expect(() =>
      readKeypointText(
        'p.json',
        `{"format": "coco17", "frames": [{"keypoints": [${person(1)
          .map((v, i) => (i === 4 ? '1e999' : v))
          .join(',')}]}]}`,
      ),
    ).to.throw(InputError, /keypoint 1 has an infinite coordinate/);
  });

  it('numbers written as text are decimal ("1e2", ".5", "+3"), never hex or binary; a byte-order mark before JSON is read past', () => {
    const doc = (values: unknown[]) => JSON.stringify({ format: 'coco17', frames: [{ keypoints: values }] });
    const kp: unknown[] = person(300);
    kp.splice(0, 3, '1e2', '.5', '+0.25');
    const d = readKeypointText('p.json', `\uFEFF${doc(kp)}`).frames[0].detections[0];
    expect(Array.from(d.keypoints.slice(0, 2))).to.deep.equal([100, 0.5]);
    expect(d.confidence[0]).to.equal(0.25);
    for (const bad of ['0x10', '0b1', '1_000'])
      expect(() => readKeypointText('p.json', doc([bad, ...person(300).slice(1)])), bad).to.throw(InputError);
  });

  it('hostile files: any JSON value gives a keypoint file or an InputError, never another exception', () => {
    const values = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, 0, 1, -1, 0.5, 1e300, '', 'nan', 'x', true, 17),
        fc.array(tie('value'), { maxLength: 6 }),
        fc.dictionary(
          fc.constantFrom(
            'frames',
            'people',
            'keypoints',
            'pose_keypoints_2d',
            'image_id',
            'landmarks',
            'instance_info',
            'instances',
            'frame',
            'person',
            'format',
            'imageSize',
            'fps',
            'x',
            'y',
            'score',
            'track_id',
            'keypoint_scores',
            'timestampMs',
            'id',
          ),
          tie('value'),
          { maxKeys: 5 },
        ),
      ),
    })).value;
    // A real detection somewhere inside makes the deeper paths reachable.
    const withPerson = fc.oneof(values, fc.constant(person(1)), fc.constant(person(1).slice(0, 50)));
    fc.assert(
      fc.property(
        fc.oneof(
          values,
          fc.record(
            {
              frames: fc.array(
                fc.record({ keypoints: withPerson, frame: values, people: values }, { requiredKeys: [] }),
                { maxLength: 3 },
              ),
              format: values,
            },
            { requiredKeys: ['frames'] },
          ),
          fc.array(
            fc.record(
              { image_id: values, keypoints: withPerson, track_id: values, score: values },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
        ),
        (doc) => {
          try {
            readKeypointText('h.json', JSON.stringify(doc) ?? 'null');
          } catch (e) {
            if (!(e instanceof DiffPoseError)) throw e;
          }
        },
      ),
      { numRuns: 3000, seed: 17 },
    );
  });

  it('weak detections are dropped before tracking, so the real people keep their tracks', () => {
    const file = readKeypointText(
      'x.json',
      JSON.stringify([
        { image_id: 0, keypoints: person(200), score: 0.9 },
        { image_id: 0, keypoints: person(500), score: 0.9 },
        { image_id: 1, keypoints: person(40, 0.05), score: 0.03 },
        { image_id: 1, keypoints: person(505), score: 0.9 },
        { image_id: 1, keypoints: person(205), score: 0.9 },
      ]),
    );
    const weak = dropWeakDetections(file, 0.2, 0.02);
    expect(weak.dropped).to.equal(1);
    expect(trackPeople(weak.file).map((t) => t.inputs)).to.deep.equal([
      [0, 4],
      [1, 3],
    ]);
    // Without a person score: the mean keypoint score decides.
    const noScore = readKeypointText(
      'x.json',
      JSON.stringify([
        { image_id: 0, keypoints: person(200, 0.1) },
        { image_id: 0, keypoints: person(500, 0.5) },
      ]),
    );
    expect(dropWeakDetections(noScore, 0.2, 0.02).file.frames[0].detections.map((d) => d.input)).to.deep.equal([1]);
  });
});

describe('sanity warnings', () => {
  const file = (scale: number, format = 'coco17') =>
    readKeypointText(
      'p.json',
      JSON.stringify({ format, frames: [{ keypoints: person(300).map((v, i) => (i % 3 === 2 ? v : v * scale)) }] }),
    );
  it('say nothing about a plausible file', () => {
    expect(sanityWarnings(file(1), [640, 480])).to.deep.equal([]);
  });
  it('normalised coordinates, keypoints outside the image, a joint order that does not fit', () => {
    expect(sanityWarnings(file(1 / 640), [640, 480])[0]).to.match(
      /^every coordinate is in \[0, 1\]: normalised coordinates\?/,
    );
    expect(sanityWarnings(file(10), [640, 480])[0]).to.match(
      /^100% of the detected keypoints lie outside the 640x480 image/,
    );
    expect(sanityWarnings(file(1, 'h36m17'), [640, 480])[0]).to.match(
      /^the keypoints do not look like a h36m17 skeleton .*: they fit coco17 \(0\.\d+ m\): pass --format coco17\?$/,
    );
  });
});

describe('progress bar', () => {
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = [];
    return {
      writes,
      stream: {
        isTTY,
        write: (s: string) => {
          writes.push(s);
          return true;
        },
      } as unknown as NodeJS.WriteStream,
    };
  };

  it('draws on a terminal and erases itself at the end', () => {
    const { writes, stream } = fakeStream(true);
    const p = createProgress(4, 'frames', stream);
    p.update(1);
    p.update(4);
    p.finish();
    expect(writes[0]).to.match(/^\r\[#{8}\.{22}\] 1\/4 frames, ~\d+ s left/);
    expect(writes[1]).to.match(/^\r\[#{30}\] 4\/4 frames/);
    expect(writes.at(-1)).to.equal('\r\x1b[K');
  });

  it('writes nothing when the stream is not a terminal', () => {
    const { writes, stream } = fakeStream(false);
    const p = createProgress(4, 'frames', stream);
    p.update(2);
    p.finish();
    expect(writes).to.deep.equal([]);
  });
});
