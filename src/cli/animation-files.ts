import { writeOutputFile } from './write-file.js';
import { writeBvh } from '../export/bvh.js';
import { writeGlb } from '../export/gltf.js';
import { buildRig, solveMotion } from '../export/rig.js';
import { NUM_JOINTS } from '../pose/skeleton.js';

/** One person's lifted frames, collected for the animation files. */
class TrackMotion {
  poses: number[] = [];
  roots: number[] = [];
}

/**
 * --bvh / --gltf: every person's lifted poses and root trajectory, collected while the lift runs,
 * written as animation files at the end (one per person: `out.bvh`, or `out-<id>.bvh` for
 * several). The rig needs the whole track (bone lengths are per-track medians), so this keeps the
 * poses in memory: not with --stream.
 */
export class AnimationFiles {
  private readonly tracks: TrackMotion[] = [];

  constructor(
    readonly bvh: string | undefined,
    readonly gltf: string | undefined,
  ) {}

  get wanted(): boolean {
    return this.bvh !== undefined || this.gltf !== undefined;
  }

  /** poses [n, 17, 3], root [n, 3]; frames whose root is unknown (NaN) take the previous one. */
  add(track: number, poses: Float32Array, root: Float32Array): void {
    const t = (this.tracks[track] ??= new TrackMotion());
    for (const v of poses) t.poses.push(v);
    for (let i = 0; i < root.length; i += 3) {
      const known = root.subarray(i, i + 3).every(Number.isFinite);
      const prev = t.roots.length ? t.roots.slice(-3) : [0, 0, 0];
      t.roots.push(...(known ? Array.from(root.subarray(i, i + 3)) : prev));
    }
  }

  async write(fps: number, names: ReadonlyArray<string | number>, log: (s: string) => void): Promise<void> {
    const several = this.tracks.length > 1;
    for (let t = 0; t < this.tracks.length; t++) {
      const tr = this.tracks[t];
      if (!tr) continue;
      const frames = tr.poses.length / (NUM_JOINTS * 3);
      const rig = buildRig(tr.poses, frames);
      const motion = solveMotion(rig, tr.poses, frames, fps, tr.roots);
      const path = (p: string) =>
        several ? p.replace(/(\.[^./]+)?$/, (ext) => `-${String(names[t]).replace(/[^\w.-]/g, '_')}${ext}`) : p;
      const save = (file: string, data: string | Uint8Array) => writeOutputFile(file, data, log);
      if (this.bvh) await save(path(this.bvh), writeBvh(rig, motion));
      if (this.gltf) await save(path(this.gltf), writeGlb(rig, motion));
    }
  }
}
