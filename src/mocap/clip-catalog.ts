import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What clips the mocap folder holds and which split each belongs to. Layout (see the data
 * README): `<source>/<subject>/<clip>.bvh[.gz]`, or `<source>/<subject>/` with one `.asf[.gz]`
 * skeleton and its `.amc[.gz]` motions.
 */

export type Split = 'train' | 'test';

export interface ClipEntry {
  /** `<source>/<subject>/<file stem>`, e.g. `cmu-bvh/salsa/01`. */
  name: string;
  source: string;
  subject: string;
  format: 'bvh' | 'asf-amc';
  motionPath: string;
  /** The subject's ASF, for `asf-amc` clips. */
  skeletonPath?: string;
  /** The rate the frames were recorded at when the file does not say it (AMC) or says it wrongly. */
  fpsOverride?: number;
  split: Split;
}

/** Held out from training and tuning, as the data README prescribes. */
export const TEST_SUBJECTS: readonly string[] = ['hdm05-asfamc/tr', 'cmu-asfamc/03', 'cmu-bvh/subject-16'];

/**
 * AMC has no frame rate field; CMU and HDM05 both recorded at 120 fps (HDM05 file names end
 * in `_120`). The cgspeed salsa BVH headers say 120 but the takes were recorded at 60
 * (data README), so playing them at 120 would double every speed.
 */
const AMC_FPS = 120;
const BVH_FPS_OVERRIDES: Readonly<Record<string, number>> = { 'cmu-bvh/salsa': 60 };

const MOTION_FILE = /^(.*)\.(bvh|amc)(\.gz)?$/i;
const SKELETON_FILE = /\.asf(\.gz)?$/i;

/** `testSubjects` (`<source>/<subject>`) go to the test split; all must exist, which catches a wrong folder. */
export function listClips(mocapDir: string, testSubjects: readonly string[] = TEST_SUBJECTS): ClipEntry[] {
  const clips: ClipEntry[] = [];
  for (const source of sortedDirs(mocapDir)) {
    for (const subject of sortedDirs(join(mocapDir, source))) {
      const dir = join(mocapDir, source, subject);
      const files = readdirSync(dir)
        .filter((f) => statSync(join(dir, f)).isFile())
        .sort();
      const skeletons = files.filter((f) => SKELETON_FILE.test(f));
      if (skeletons.length > 1) throw new Error(`${dir}: more than one ASF skeleton (${skeletons.join(', ')})`);
      const key = `${source}/${subject}`;
      const split: Split = testSubjects.includes(key) ? 'test' : 'train';
      for (const file of files) {
        const m = MOTION_FILE.exec(file);
        if (!m) continue;
        const isBvh = m[2].toLowerCase() === 'bvh';
        if (!isBvh && skeletons.length === 0)
          throw new Error(`${join(dir, file)}: AMC motion without an ASF skeleton in its folder`);
        clips.push({
          name: `${key}/${m[1]}`,
          source,
          subject,
          format: isBvh ? 'bvh' : 'asf-amc',
          motionPath: join(dir, file),
          skeletonPath: isBvh ? undefined : join(dir, skeletons[0]),
          fpsOverride: isBvh ? BVH_FPS_OVERRIDES[key] : AMC_FPS,
          split,
        });
      }
    }
  }
  const subjectsFound = new Set(clips.map((c) => `${c.source}/${c.subject}`));
  const missing = testSubjects.filter((s) => !subjectsFound.has(s));
  if (missing.length > 0)
    throw new Error(`${mocapDir}: test subjects ${missing.join(', ')} not found; is this the mocap folder?`);
  return clips;
}

function sortedDirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isDirectory())
    .sort();
}
