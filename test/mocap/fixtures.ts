import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths of the hand-made mocap fixtures and of the real mocap folder beside the repository. */
const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', 'fixtures', 'mocap');
export const fixture = (name: string): string => join(FIXTURES, name);
/** The shared data (`../shared/data/mocap` from the repository root); tests skip when it is absent. */
export const REAL_MOCAP = join(here, '..', '..', '..', 'shared', 'data', 'mocap');

/** Point `i` of a flat xyz array. */
export function point(a: ArrayLike<number>, i: number): [number, number, number] {
  return [a[i * 3], a[i * 3 + 1], a[i * 3 + 2]];
}
