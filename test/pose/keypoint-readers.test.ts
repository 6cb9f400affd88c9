import { expect } from 'chai';
import { InputError } from '../../src/errors.js';
import { readKeypointText } from '../../src/pose/read-keypoints.js';
import { trackPeople } from '../../src/pose/track-people.js';
import { createProgress } from '../../src/cli/progress.js';

/** A COCO-17 person standing at horizontal position x (pixels), 17 [x, y, score] triples flattened. */
function person(x: number, score = 0.9): number[] {
  const shape = [[0, 20], [-5, 15], [5, 15], [-10, 18], [10, 18], [-25, 50], [25, 50], [-30, 90], [30, 90], [-32, 130], [32, 130],
    [-15, 130], [15, 130], [-15, 190], [15, 190], [-15, 250], [15, 250]];
  return shape.flatMap(([dx, y]) => [x - dx, y, score]);
}

describe('keypoint files and tracks', () => {
  it('COCO results: frames sorted by numeric image_id, one track per person whatever the detection order', () => {
    // Two people walking towards each other's side slowly; frame 2 comes first in the file and
    // the detections' order flips between frames.
    const results = [
      { image_id: 2, keypoints: person(220), score: 1 }, { image_id: 2, keypoints: person(400), score: 1 },
      { image_id: 0, keypoints: person(200), score: 1 }, { image_id: 0, keypoints: person(420), score: 1 },
      { image_id: 1, keypoints: person(410), score: 1 }, { image_id: 1, keypoints: person(210), score: 1 },
    ];
    const file = readKeypointText('x.json', JSON.stringify(results));
    expect(file.format).to.equal('coco17');
    expect(file.frames.map((f) => f.id)).to.deep.equal([0, 1, 2]);
    const tracks = trackPeople(file);
    expect(tracks.map((t) => t.inputs)).to.deep.equal([[2, 5, 0], [3, 4, 1]]);
    expect(tracks[0].keypoints[0]).to.equal(200); // nose x of the left person in frame 0
    expect(tracks[1].frames).to.deep.equal([0, 1, 2]);
  });

  it('a person who appears later starts a new track; one who vanishes for a frame keeps theirs', () => {
    const results = [
      { image_id: 0, keypoints: person(200) },
      { image_id: 1, keypoints: person(600) }, { image_id: 1, keypoints: person(205) },
      { image_id: 2, keypoints: person(595) },
      { image_id: 3, keypoints: person(590) }, { image_id: 3, keypoints: person(215) },
    ];
    const tracks = trackPeople(readKeypointText('x.json', JSON.stringify(results)));
    expect(tracks.map((t) => t.frames)).to.deep.equal([[0, 1, 3], [1, 2, 3]]);
  });

  it('zero-score keypoints (OpenPose\'s missing ones at 0, 0) do not move a person\'s box', () => {
    const right = person(900);
    for (const k of [9, 10, 15, 16]) right.splice(3 * k, 3, 0, 0, 0);
    // Counted in, the zeros would stretch the right person's box over the left one's.
    const tracks = trackPeople(readKeypointText('x.json', JSON.stringify([
      { image_id: 0, keypoints: person(300) }, { image_id: 0, keypoints: person(900) },
      { image_id: 1, keypoints: right }, { image_id: 1, keypoints: person(305) },
    ])));
    expect(tracks.map((t) => t.inputs)).to.deep.equal([[0, 3], [1, 2]]);
  });

  it('plain JSON: nested or flat triples, its own format and image size', () => {
    const file = readKeypointText('p.json', JSON.stringify({
      imageSize: [640, 480], format: 'coco17',
      frames: [{ keypoints: person(100) }, { keypoints: Array.from({ length: 17 }, (_, k) => person(100).slice(3 * k, 3 * k + 3)) }],
    }));
    expect(file.imageSize).to.deep.equal([640, 480]);
    expect(Array.from(file.frames[0].detections[0].keypoints)).to.deep.equal(Array.from(file.frames[1].detections[0].keypoints));
  });

  it('CSV: comment keys, numeric frames in order, any person labels, line numbers as inputs', () => {
    const header = `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`;
    const text = ['# made by hand', '# imageSize: 800x600', '', header,
      `1,b,${person(300).join(',')}`, `0,a,${person(100).join(',')}`, `0,b,${person(305).join(',')}`, `1,a,${person(110).join(',')}`, ''].join('\n');
    const file = readKeypointText('k.csv', text);
    expect(file.imageSize).to.deep.equal([800, 600]);
    expect(file.format).to.equal('coco17');
    expect(file.frames.map((f) => f.id)).to.deep.equal([0, 1]);
    expect(trackPeople(file).map((t) => t.inputs)).to.deep.equal([[6, 8], [7, 5]]);
  });

  it('CSV errors name the line', () => {
    const header = `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`;
    expect(() => readKeypointText('k.csv', `${header}\n0,0,1,2\n`)).to.throw(InputError, /k\.csv: line 2: 4 columns, expected 53/);
    expect(() => readKeypointText('k.csv', `${header}\n0,0,${person(1).join(',')}\n0,0,${person(1).join(',')}\n`)).to.throw(InputError, /line 3: person "0" appears twice in frame 0/);
    expect(() => readKeypointText('k.csv', 'x,y\n')).to.throw(InputError, /must start with "frame,person"/);
    expect(() => readKeypointText('k.csv', `${header}\n`, { format: 'openpose25' })).to.throw(InputError, /17 keypoints, but format openpose25 has 25/);
    expect(() => readKeypointText('k.csv', `${header}\n0,0,${person(1).join(',').replace('0.9', 'high')}\n`)).to.throw(InputError, /line 2: keypoint 0 is not three finite numbers \(x, y, score\)/);
  });

  it('JSON errors say what is wrong and where', () => {
    expect(() => readKeypointText('a.json', '[]')).to.throw(InputError, /a\.json: the results list is empty/);
    expect(() => readKeypointText('a.json', '[{"keypoints": []}]')).to.throw(InputError, /result 0: missing image_id/);
    expect(() => readKeypointText('a.json', '{"frames": [{"keypoints": [[1, 2, 3]]}]}')).to.throw(InputError, /frame 0: 1 keypoints \(known formats have 17, 18, 25 or 33\); pass --format/);
    expect(() => readKeypointText('a.json', '{"format": "h36m17", "frames": [{"keypoints": [[1, 2, 3]]}]}')).to.throw(InputError, /frame 0: 1 keypoints, but format h36m17 has 17/);
    expect(() => readKeypointText('a.json', '{"frames": []}')).to.throw(InputError, /"frames" must be a non-empty list/);
    expect(() => readKeypointText('a.json', '{"imageSize": [0, 4], "frames": [{}]}')).to.throw(InputError, /"imageSize" must be \[width, height\]/);
    expect(() => readKeypointText('a.json', JSON.stringify([{ image_id: 1, keypoints: person(1, 2) }]))).to.throw(InputError, /score 2 is outside \[0, 1\]/);
  });
});

describe('progress bar', () => {
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (s: string) => { writes.push(s); return true; } } as unknown as NodeJS.WriteStream };
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
