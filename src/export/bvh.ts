import { eulerZXY } from './rotation.js';
import type { Motion, Rig } from './rig.js';

/** BVH lengths are centimetres by the usual convention (Blender, MotionBuilder, CMU's files). */
const CM = 100;

const fmt = (v: number) => (Math.abs(v) < 5e-7 ? '0' : v.toFixed(6).replace(/\.?0+$/, ''));

/**
 * A BVH file: the rig as HIERARCHY (root "pelvis" with position and rotation channels, every
 * other joint rotation only, Z X Y order), one MOTION line per frame at the motion's rate.
 * Wrists, ankles and the head end in an End Site a tenth of their bone's length further on.
 */
export function writeBvh(rig: Rig, motion: Motion): string {
  const lines: string[] = ['HIERARCHY'];
  const order: number[] = [];
  const visit = (j: number, depth: number) => {
    const pad = '  '.repeat(depth);
    const o = rig.offsets[j];
    lines.push(`${pad}${depth === 0 ? 'ROOT' : 'JOINT'} ${rig.names[j]}`, `${pad}{`);
    lines.push(`${pad}  OFFSET ${[o[0], o[1], o[2]].map((v) => fmt(v * CM)).join(' ')}`);
    lines.push(
      `${pad}  CHANNELS ${depth === 0 ? '6 Xposition Yposition Zposition ' : '3 '}Zrotation Xrotation Yrotation`,
    );
    order.push(j);
    if (rig.children[j].length === 0) {
      const end = o.map((v) => v * 0.1 * CM);
      lines.push(`${pad}  End Site`, `${pad}  {`, `${pad}    OFFSET ${end.map(fmt).join(' ')}`, `${pad}  }`);
    }
    for (const c of rig.children[j]) visit(c, depth + 1);
    lines.push(`${pad}}`);
  };
  visit(rig.parents.indexOf(-1), 0);
  lines.push('MOTION', `Frames: ${motion.frames}`, `Frame Time: ${fmt(1 / motion.fps)}`);
  for (let f = 0; f < motion.frames; f++) {
    const values: number[] = [];
    for (const j of order) {
      if (rig.parents[j] < 0) values.push(...motion.root[f].map((v) => v * CM));
      values.push(...eulerZXY(motion.local[f][j]));
    }
    lines.push(values.map(fmt).join(' '));
  }
  return `${lines.join('\n')}\n`;
}
