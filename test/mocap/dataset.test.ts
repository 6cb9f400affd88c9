import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listClips } from '../../src/mocap/clip-catalog.js';
import { prepareData } from '../../src/mocap/dataset.js';
import { readPreparedSplit } from '../../src/mocap/prepared-file.js';
import { fixture } from './fixtures.js';

/**
 * prepare-data end to end on a small mocap folder laid out like the real one, built from the
 * fixtures: a daz BVH (120 fps, T-pose reference frame first), the same BVH under a "salsa"
 * folder (60 fps whatever the header says), and an ASF/AMC subject (gzipped) used as the test split.
 */
describe('prepare-data on a small mocap folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'mocap-'));
  const mocap = join(root, 'mocap');
  const out = join(root, 'prepared');
  after(() => rmSync(root, { recursive: true }));

  before(() => {
    mkdirSync(join(mocap, 'cmu-bvh', 'dance'), { recursive: true });
    mkdirSync(join(mocap, 'cmu-bvh', 'salsa'), { recursive: true });
    mkdirSync(join(mocap, 'cmu-asfamc', '99'), { recursive: true });
    copyFileSync(fixture('mini-daz.bvh'), join(mocap, 'cmu-bvh', 'dance', '07.bvh'));
    copyFileSync(fixture('mini-daz.bvh'), join(mocap, 'cmu-bvh', 'salsa', '01.bvh'));
    writeFileSync(join(mocap, 'cmu-asfamc', '99', '99.asf.gz'), gzipSync(readFileSync(fixture('mini-cmu.asf'))));
    writeFileSync(join(mocap, 'cmu-asfamc', '99', '99_01.amc.gz'), gzipSync(readFileSync(fixture('mini-cmu.amc'))));
    writeFileSync(join(mocap, 'cmu-asfamc', '99', 'notes.txt'), 'not a clip');
  });

  it('lists clips by source/subject/stem with the split and frame-rate rules', () => {
    const clips = listClips(mocap, ['cmu-asfamc/99']);
    expect(clips.map((c) => [c.name, c.format, c.split, c.fpsOverride])).to.deep.equal([
      ['cmu-asfamc/99/99_01', 'asf-amc', 'test', 120],
      ['cmu-bvh/dance/07', 'bvh', 'train', undefined],
      ['cmu-bvh/salsa/01', 'bvh', 'train', 60],
    ]);
  });

  it('refuses a folder that lacks a test subject', () => {
    expect(() => listClips(mocap)).to.throw(/test subjects .* not found/);
  });

  it('writes train and test files in the documented layout, cutting and listing defective frames', () => {
    const summary = prepareData({ mocapDir: mocap, outDir: out, testSubjects: ['cmu-asfamc/99'] });
    const train = readPreparedSplit(summary.files.train);
    const test = readPreparedSplit(summary.files.test);
    // dance: 9 frames at 120 fps, the reference frame dropped -> 8 frames (0..7/120 s) -> 0, 1/30 s.
    // salsa: the same 8 frames read at 60 fps (0..7/60 s) -> 0, 1/30, 2/30, 3/30 s.
    expect(train.clips).to.deep.equal([
      { name: 'cmu-bvh/dance/07', source: 'cmu-bvh', subject: 'dance', frames: 2 },
      { name: 'cmu-bvh/salsa/01', source: 'cmu-bvh', subject: 'salsa', frames: 4 },
    ]);
    expect(train.subjects).to.deep.equal(['dance', 'salsa']);
    expect(Array.from(train.clip)).to.deep.equal([0, 0, 1, 1, 1, 1]);
    expect(Array.from(train.subject)).to.deep.equal([0, 0, 1, 1, 1, 1]);
    expect(train.poses.length).to.equal(6 * 17 * 3);
    // The root moves 1 cm in z per 120 fps frame: 4 cm per 30 fps frame; at 60 fps 2 cm per source frame.
    expect(train.poses[1 * 51 + 2] - train.poses[0 * 51 + 2]).to.be.closeTo(0.04, 1e-6);
    expect(train.poses[3 * 51 + 2] - train.poses[2 * 51 + 2]).to.be.closeTo(0.02, 1e-6);
    // AMC: frames 1-2 are no-data frames (exact zeros) and are cut; 7 frames at 120 fps remain -> 2 at 30 fps.
    expect(test.clips).to.deep.equal([{ name: 'cmu-asfamc/99/99_01', source: 'cmu-asfamc', subject: '99', frames: 2 }]);
    expect(summary.splits.test.frames).to.equal(2);
    expect(summary.splits.train.minutes).to.be.closeTo(6 / 30 / 60, 1e-12);
    expect(summary.warnings.join('\n')).to.match(/T-pose reference frame.*2 clip\(s\)/);
    expect(summary.warnings.join('\n')).to.match(/cut 2 leading .* no data.*cmu-asfamc\/99\/99_01/);
  });

  it('leaves out a clip that stands below the floor, and says so', () => {
    const low = readFileSync(fixture('mini-daz.bvh'), 'latin1').replace(/^0 90 /gm, '0 -10 ');
    writeFileSync(join(mocap, 'cmu-bvh', 'dance', '08.bvh'), low);
    try {
      const summary = prepareData({ mocapDir: mocap, outDir: out, testSubjects: ['cmu-asfamc/99'] });
      expect(summary.splits.train.clips).to.equal(2);
      expect(summary.warnings.join('\n')).to.match(
        /left out clip cmu-bvh\/dance\/08: .*below|left out clip cmu-bvh\/dance\/08: .*floor/,
      );
    } finally {
      rmSync(join(mocap, 'cmu-bvh', 'dance', '08.bvh'));
    }
  });

  it('stops on a clip that cannot be read, naming the file', () => {
    writeFileSync(join(mocap, 'cmu-bvh', 'dance', '09.bvh'), 'HIERARCHY\nROOT hip\n{\n');
    try {
      expect(() => prepareData({ mocapDir: mocap, outDir: out, testSubjects: ['cmu-asfamc/99'] })).to.throw(
        /cmu-bvh\/dance\/09.*09\.bvh/,
      );
    } finally {
      rmSync(join(mocap, 'cmu-bvh', 'dance', '09.bvh'));
    }
  });
});
