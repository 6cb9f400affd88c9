import { writeBvh } from '../export/bvh.js';
import { writeGlb } from '../export/gltf.js';
import { buildRig, solveMotion } from '../export/rig.js';
import { NUM_JOINTS } from '../pose/skeleton.js';

/** One person's lifted frames, collected for the animation files. */
class TrackMotion {
  /** The video frame number of each lifted frame, increasing. */
  frames: number[] = [];
  poses: number[] = [];
  roots: number[] = [];
}

/** An animation file to write: where, and its bytes. */
export interface AnimationFile {
  path: string;
  data: string | Uint8Array;
}

/** `n` values per frame at video frames `frames`, every frame from the first to the last: a gap's frames interpolated linearly. */
function everyFrame(values: readonly number[], frames: readonly number[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const gap = i + 1 < frames.length ? frames[i + 1] - frames[i] : 1;
    for (let k = 0; k < gap; k++)
      for (let c = 0; c < n; c++) {
        const a = values[i * n + c];
        out.push(k === 0 ? a : a + ((values[(i + 1) * n + c] - a) * k) / gap);
      }
  }
  return out;
}

/**
 * --bvh / --gltf: every person's lifted poses and root trajectory, collected while the lift runs,
 * rendered as animation files at the end (one per person: `out.bvh`, or `out-<id>.bvh` for
 * several). The rig needs the whole track (bone lengths are per-track medians), so this keeps the
 * poses in memory: not with --stream. Each file keeps the video's timing: it runs from the
 * person's first frame to their last at the video's rate, the frames where they were not lifted
 * (a gap in their track) interpolated; a glTF animation starts at the first frame's time in the
 * video, a BVH (which has no start time) at its first frame.
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

  /** poses [n, 17, 3], root [n, 3] of video frames `frames`; frames whose root is unknown (NaN) take the previous one. */
  add(track: number, poses: Float32Array, root: Float32Array, frames: readonly number[]): void {
    const t = (this.tracks[track] ??= new TrackMotion());
    t.frames.push(...frames);
    for (const v of poses) t.poses.push(v);
    for (let i = 0; i < root.length; i += 3) {
      const known = root.subarray(i, i + 3).every(Number.isFinite);
      const prev = t.roots.length ? t.roots.slice(-3) : [0, 0, 0];
      t.roots.push(...(known ? Array.from(root.subarray(i, i + 3)) : prev));
    }
  }

  /** The files of every person, `names` their ids (each a distinct file name, however the ids spell). */
  render(fps: number, names: ReadonlyArray<string | number>, log: (s: string) => void): AnimationFile[] {
    const present = this.tracks.flatMap((t, i) => (t ? [i] : []));
    const several = present.length > 1;
    const taken = new Set<string>();
    const files: AnimationFile[] = [];
    for (const t of present) {
      const tr = this.tracks[t];
      const first = tr.frames[0];
      const frames = tr.frames[tr.frames.length - 1] - first + 1;
      const filled = frames - tr.frames.length;
      const poses = everyFrame(tr.poses, tr.frames, NUM_JOINTS * 3);
      const rig = buildRig(poses, frames);
      const motion = {
        ...solveMotion(rig, poses, frames, fps, everyFrame(tr.roots, tr.frames, 3)),
        start: first / fps,
      };
      // Ids that spell alike as file names ("ä" and "ö" both "_") get a number too.
      const spelled = String(names[t]).replace(/[^\w.-]/g, '_');
      let suffix = spelled;
      for (let k = 2; taken.has(suffix); k++) suffix = `${spelled}-${k}`;
      taken.add(suffix);
      const path = (p: string) => (several ? p.replace(/(\.[^./]+)?$/, (ext) => `-${suffix}${ext}`) : p);
      if (filled > 0 || first > 0)
        log(
          `person ${String(names[t])}: animation from video frame ${first}${filled ? `, ${filled} frames where the person was not lifted interpolated` : ''}`,
        );
      if (this.bvh) files.push({ path: path(this.bvh), data: writeBvh(rig, motion) });
      if (this.gltf) files.push({ path: path(this.gltf), data: writeGlb(rig, motion) });
    }
    return files;
  }
}
