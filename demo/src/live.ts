import type { DiffPose } from '../../src/diffpose.js';
import type { DiffPoseStream } from '../../src/temporal/stream.js';
import type { LiftSettings, Sequence } from './sequence.js';

/** What the live mode shows after each push. */
export interface LiveFrame {
  frame: number;
  poses: Float32Array;
  spread: Float32Array;
  /** The calibrated error radius, when the weights (the temporal file's causal window, or the frame file) carry one. */
  radius90?: Float32Array;
  /** Median wall time of the last pushes, ms. */
  medianMs: number;
  /** Mean acceleration of the shown joints over the last frames, mm/frame². */
  jitter: number;
  model: 'temporal (causal stream)' | 'frame by frame';
}

const WINDOW = 30;

/**
 * The live mode: plays a sequence at its frame rate as a webcam would deliver it, one frame per
 * call — through `createStream` (the causal temporal model, the 2D history on the GPU) or, for
 * comparison, a frame lift of that frame alone — and reports each push's latency and the jitter
 * of what it shows. Frames that arrive while a push is still running are skipped, as live input is.
 */
export class LiveMode {
  private stream?: DiffPoseStream;
  private timer?: ReturnType<typeof setTimeout>;
  private running = false;
  private times: number[] = [];
  private shown: Float32Array[] = [];
  pushes = 0;

  constructor(
    private readonly model: DiffPose,
    private readonly show: (seq: Sequence, f: LiveFrame) => void,
  ) {}

  get active(): boolean {
    return this.running;
  }

  async start(seq: Sequence, s: LiftSettings, fps: number): Promise<void> {
    this.stop();
    this.running = true;
    this.times = [];
    this.shown = [];
    const temporal = s.model !== 'frame';
    const options = {
      imageSize: seq.imageSize,
      format: seq.format,
      hypotheses: s.hypotheses,
      timesteps: s.timesteps,
      seed: s.seed,
    };
    if (temporal) this.stream = await this.model.createStream({ ...options, maxTracks: 1, fps });
    const started = performance.now();
    let frame = -1;
    const tick = async () => {
      if (!this.running) return;
      // The frame the clock is at: late pushes skip frames rather than fall behind.
      const due = Math.floor(((performance.now() - started) / 1000) * fps);
      frame = Math.max(frame + 1, due);
      const f = frame % seq.frames;
      if (f === 0 && frame > 0 && this.stream) {
        // The clip starts over: a new track, not a jump inside the old one.
        this.stream.dispose();
        this.stream = await this.model.createStream({ ...options, maxTracks: 1, fps });
        this.shown = [];
      }
      const K = seq.keypoints.length / seq.frames / 2;
      const kp = seq.keypoints.subarray(f * K * 2, (f + 1) * K * 2);
      const confidence = seq.confidence.subarray(f * K, (f + 1) * K);
      const t0 = performance.now();
      const r = this.stream
        ? await this.stream.push(kp, { confidence })
        : await this.model.lift(kp, { ...options, confidence });
      const ms = performance.now() - t0;
      if (!this.running) return;
      this.pushes++;
      this.times = [...this.times.slice(-(WINDOW - 1)), ms];
      this.shown = [...this.shown.slice(-(WINDOW - 1)), r.poses];
      this.show(seq, {
        frame: f,
        poses: r.poses,
        spread: r.spread,
        radius90: r.radius90,
        medianMs: median(this.times),
        jitter: meanAcceleration(this.shown),
        model: temporal ? 'temporal (causal stream)' : 'frame by frame',
      });
      this.timer = setTimeout(() => void tick().catch(() => this.stop()), Math.max(0, 1000 / fps - ms));
    };
    await tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.dispose();
    this.stream = undefined;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Mean over joints and frames of |x[t+2] - 2 x[t+1] + x[t]|, mm (0 with fewer than 3 frames). */
function meanAcceleration(poses: Float32Array[]): number {
  let sum = 0,
    n = 0;
  for (let t = 0; t + 2 < poses.length; t++) {
    for (let j = 0; j < 17; j++) {
      let s = 0;
      for (let c = 0; c < 3; c++) {
        const a = poses[t + 2][3 * j + c] - 2 * poses[t + 1][3 * j + c] + poses[t][3 * j + c];
        s += a * a;
      }
      sum += Math.sqrt(s);
      n++;
    }
  }
  return n ? (sum / n) * 1000 : 0;
}
