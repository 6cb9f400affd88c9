import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli.js';

/**
 * Issue 12.5, the CLI side for keypoint files: a hostile input makes `diffpose lift` print one
 * printable error line (no stack trace), exit 1 and write no output.
 */
const HOSTILE: Record<string, [string, RegExp]> = {
  'nul.json': ['\u0000{"frames": [}', /not valid JSON \(Unexpected token '\\u0000'/],
  'escape-format.json': [
    JSON.stringify({ imageSize: [640, 480], format: '\u001b[2Jcoco', frames: [{ keypoints: [[1, 2, 1]] }] }),
    /unknown keypoint format "\\u001b\[2Jcoco"/,
  ],
  'deep.json': ['['.repeat(200_000) + ']'.repeat(200_000), /result 0: not an object/],
  'no-people.json': [JSON.stringify({ people: 'x' }), /not a keypoint layout this reads/],
  'garbage.csv': ['frame,person,x0\n1,a,\u0007\n', /line 1: the header has 3 columns/],
  'huge-size.json': [
    JSON.stringify({ imageSize: [1e308, -5], frames: [{ keypoints: [[1, 2, 1]] }] }),
    /"imageSize" must be \[width, height\] in pixels/,
  ],
};

describe('CLI on hostile keypoint files: one line, exit 1, nothing written', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffpose-hostile-kp-'));
    for (const [name, [text]] of Object.entries(HOSTILE)) writeFileSync(join(dir, name), text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, [, pattern]] of Object.entries(HOSTILE)) {
    it(name, async () => {
      const out = join(dir, `${name}.out.json`);
      const r = await runCli(['lift', join(dir, name), '--cpu', '--image-size', '640x480', '-o', out]);
      expect(r.code, r.stderr).to.equal(1);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('diffpose: '));
      expect(errors, r.stderr).to.have.length(1);
      expect(errors[0]).to.not.match(/internal error/);
      expect(errors[0]).to.match(pattern);
      expect(errors[0]).to.not.match(/[\u0000-\u001f\u007f-\u009f]/);
      expect(r.stderr).to.not.match(/^\s+at /m);
      expect(existsSync(out)).to.equal(false);
    });
  }
});

describe('weights that are not a file of a model size', () => {
  it('--weights /dev/zero is refused before reading: one line, exit 1', async () => {
    const r = await runCli([
      'lift',
      new URL('../../examples/walk-h36m17.json', import.meta.url).pathname,
      '--cpu',
      '--weights',
      '/dev/zero',
    ]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/^diffpose: weights "\/dev\/zero" is not a regular file$/m);
  });
});
