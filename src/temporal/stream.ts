import { asDiffPoseError, DiffPoseError, InputError, throwIfAborted } from '../errors.js';
import {
  checkOptionKeys,
  checkSignal,
  concatFloats,
  float32Input,
  type ExecutorName,
  type LiftOptions,
} from '../lift-options.js';
import { keypointFormat, type KeypointFormat } from '../pose/formats.js';
import { prepareInput, type PreparedBatch } from '../pose/input.js';
import { ENCODER_INPUTS } from './encoder-config.js';
import { sequenceFrames, type SequenceInfo } from './sequence-batch.js';
import type { BufferLift } from '../schedule/fused-executor.js';
import { checkBuffers } from '../gpu/buffer-checks.js';
import { fuseRecords } from '../kernels/aggregate.js';
import { FUSE_RECORD } from '../kernels/wgsl-constants.js';
import { bridgesGap, jumpBox, jumps } from './track-gaps.js';
import type { PersonBox } from '../pose/track-people.js';
import { upsampleFactor, upsampleTrack } from './frame-rate.js';

export type TrackId = string | number;

/** createStream options: those of lift that apply to every push, and how many tracks the stream holds. */
export interface StreamOptions extends Omit<
  LiftOptions,
  'confidence' | 'gmm' | 'samples' | 'poseOffset' | 'signal' | 'aggregate'
> {
  /** Tracks the stream keeps a history for (default 16); a new track past it takes the slot of the one pushed least recently. */
  maxTracks?: number;
  /**
   * The camera's frame rate. Under 25 fps each push also runs the frames interpolated between
   * each track's previous frame and this one (upsampleFactor: 15 fps, one), as liftSequence with
   * this fps does: the weights read about 30 fps best. Default 30.
   */
  fps?: number;
}

export interface StreamPushOptions {
  /** [P, K] in [0, 1]. */
  confidence?: Float32Array | readonly number[];
  /** The P tracks' ids, each at most once (default 0 .. P-1): a track's history follows its id across pushes. */
  tracks?: readonly TrackId[];
  signal?: AbortSignal;
}

/** One pushed frame, lifted with the 26 frames before it of each track. */
export interface StreamFrame {
  /** [P, 17, 3] metres, root-relative, in the order of the push. */
  poses: Float32Array;
  /** [P, 17] metres (0 with one hypothesis). */
  spread: Float32Array;
  /** [P, 3] metres, camera frame (see LiftResult.root). */
  root: Float32Array;
  /** [P, 17] metres: the calibrated error radius (LiftResult.radius90), when the temporal file is calibrated. */
  radius90?: Float32Array;
  tracks: TrackId[];
  /** This push's index in the stream, from 0. */
  frame: number;
}

/** What a stream needs from its model (DiffPose.createStream wires it). */
export interface StreamHost {
  /** Frames of the causal window: each track's ring holds that many. */
  window: number;
  /** The stream's executor (pushBuffers needs a fused one). */
  executor: ExecutorName;
  /** v2 (docs/temporal-model.md §12.3): the causal output average's taps; each track keeps that many denoised poses. */
  fuseWindow?: number;
  /** f32 per frame of a GPU ring for the causal encoder's cached level activations (blocks x channels). */
  ringLevels: number;
  /** Lifts a batch whose sequence is set. */
  run(
    batch: PreparedBatch,
    options: LiftOptions,
    poseOffset: number,
  ): Promise<{ poses: Float32Array; spread: Float32Array; root: Float32Array; radius90?: Float32Array }>;
  /** The device the stream's executor runs on now; undefined for the CPU executor. */
  device(): GPUDevice | undefined;
  /** A GPU-resident push on the fused plan: the caller's buffers and the stream's ring. */
  runBuffers(req: BufferLift, options: LiftOptions, poseOffset: number, sequence: SequenceInfo): Promise<void>;
}

/** stream.pushBuffers: the caller's buffers (as liftBuffers takes them) for one frame of `count` tracks. */
export interface StreamBufferPush {
  /** [count, 17, 3] f32: x, y pixels of the stream's image size and confidence, Human3.6M joint order. */
  keypoints: GPUBuffer;
  /** Out: [count, 17, 3] f32, metres, root-relative. */
  poses: GPUBuffer;
  /** Out: [count, 17] f32; optional. */
  spread?: GPUBuffer;
  /** Out: [count, 3] f32 camera frame ((0, 0, 0): none); optional. */
  root?: GPUBuffer;
  count: number;
  /** The tracks' ids (default 0 .. count-1). */
  tracks?: readonly TrackId[];
  /** Record into this encoder (the caller submits it, before its next call on this model); else the engine submits. */
  encoder?: GPUCommandEncoder;
}

interface Track {
  slot: number;
  frames: number;
  lastPush: number;
  /** Times its history started over in its slot (a gap, another person under the id). */
  restarts: number;
  /** The person's box at the last host push (undefined after a GPU-resident one). */
  box?: PersonBox;
}

const STREAM_OPTION_KEYS = new Set([
  'imageSize',
  'format',
  'hypotheses',
  'timesteps',
  'eta',
  'init',
  'seed',
  'executor',
  'camera',
  'maxTracks',
  'fps',
]);

/** Every rejection a DiffPoseError (a TypeError from a hostile argument too), as the model's calls. */
const rethrow =
  (what: string) =>
  (e: unknown): never => {
    throw asDiffPoseError(e, what);
  };

/** A GPU ring's sequences: the frames are in the ring, not on the host. */
const NO_FRAMES = new Float32Array(0);

/**
 * A live stream of the causal temporal model (docs/temporal-model.md §2): each push is one video
 * frame of P tracks; every track's last causal window of 2D (27 frames in the shipped file) stays
 * in a ring buffer (on the GPU with a GPU executor, beside the encoder's activations at those
 * frames, so a push computes one new position per encoder level; on the host with the CPU
 * executor), so a push uploads P frames, never the windows. A track's frames before its first are its first (edge padding). On a
 * replaced device every track starts over. Pushes run one at a time, in order.
 */
export class DiffPoseStream {
  private readonly tracks = new Map<TrackId, Track>();
  /**
   * The CPU executor's rings: each track's last `window` frames and (v2) its last fuseWindow
   * hypothesis means. Made on the first push without a device: a GPU executor keeps both on the GPU.
   */
  private host: { frames: Float32Array; denoised?: Float32Array } | undefined;
  /** v2 on the GPU: the push's records and each track's last fuseWindow means (SequenceInfo.gpuDenoised). */
  private gpuMeans: GPUBuffer | undefined;
  private gpuRing: GPUBuffer | undefined;
  private ringDevice: GPUDevice | undefined;
  private pushes = 0;
  /** Frames run through the model, interpolated ones included: the random draws' keys. */
  private steps = 0;
  /** With upsampling, each track's last pushed frame: [K, 2] keypoints and [K] confidences. */
  private readonly previous = new Map<TrackId, { keypoints: Float32Array; confidence: Float32Array }>();
  /** Slots given out so far, and those freed by endTrack since. */
  private slotsUsed = 0;
  private readonly freeSlots: number[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  readonly maxTracks: number;

  constructor(
    private readonly model: StreamHost,
    private readonly options: LiftOptions,
    maxTracks: number,
    /** Frames the model reads per pushed frame (upsampleFactor of the stream's fps). */
    readonly upsample = 1,
  ) {
    this.maxTracks = maxTracks;
  }

  private hostRings(): { frames: Float32Array; denoised?: Float32Array } {
    const V = this.model.fuseWindow;
    this.host ??= {
      frames: new Float32Array(this.maxTracks * this.model.window * ENCODER_INPUTS),
      denoised: V ? new Float32Array(this.maxTracks * V * ENCODER_INPUTS) : undefined,
    };
    return this.host;
  }

  static checkOptions(options: StreamOptions): { lift: LiftOptions; maxTracks: number; upsample: number } {
    if (typeof options !== 'object' || options === null)
      throw new InputError('createStream(options): options with imageSize are required');
    checkOptionKeys(options, STREAM_OPTION_KEYS, 'stream options');
    const { maxTracks = 16, fps, ...lift } = options;
    if (!Number.isInteger(maxTracks) || maxTracks < 1 || maxTracks > 4096)
      throw new InputError(`maxTracks must be an integer in [1, 4096], got ${maxTracks}`);
    return { lift: lift as LiftOptions, maxTracks, upsample: upsampleFactor(fps) };
  }

  /** Lifts one frame of P tracks: keypoints [P, K, 2] pixels of the stream's format. */
  push(keypoints: Float32Array | readonly number[], options: StreamPushOptions = {}): Promise<StreamFrame> {
    const next = this.queue.then(() => this.pushNow(keypoints, options)).catch(rethrow('stream.push'));
    this.queue = next.catch(() => {});
    return next;
  }

  private async pushNow(keypoints: Float32Array | readonly number[], options: StreamPushOptions): Promise<StreamFrame> {
    this.checkNotDisposed();
    if (typeof options !== 'object' || options === null)
      throw new InputError('push(keypoints, options): options must be an object');
    checkOptionKeys(options, new Set(['confidence', 'tracks', 'signal']), 'push options');
    checkSignal(options.signal);
    const format = keypointFormat(this.options.format ?? 'h36m17');
    const points = float32Input(keypoints, 'keypoints');
    const P = points.length / (format.keypoints * 2);
    if (!Number.isInteger(P))
      throw new InputError(
        `keypoints has ${points.length} values, not a multiple of ${format.keypoints * 2} (${format.keypoints} keypoints x 2 for format ${format.name})`,
      );
    const ids = this.checkIds(options.tracks, P);
    const confidence = options.confidence === undefined ? undefined : float32Input(options.confidence, 'confidence');
    const frame = this.pushes;
    if (P === 0) {
      if (confidence && confidence.length !== 0)
        throw new InputError(`confidence has ${confidence.length} values for a push of no poses`);
      throwIfAborted(options.signal);
      this.pushes++;
      return { poses: new Float32Array(0), spread: new Float32Array(0), root: new Float32Array(0), tracks: [], frame };
    }
    const batch = this.prepare(points, confidence);
    throwIfAborted(options.signal);
    // Everything is checked: now the stream's state changes. A push that fails after this (aborted,
    // a GPU error) counts no frame: the next push is the frame this one would have been (snapshot).
    const run = () => this.undoable(() => this.pushChecked(format, points, confidence, batch, ids, options.signal));
    try {
      return await run();
    } catch (e) {
      // The engine replaced a lost device during the push, after this push's frames went into the
      // old device's ring: once more on the new device, where every track starts over.
      const replaced = this.ringDevice !== undefined && this.model.device() !== this.ringDevice;
      if (!replaced || options.signal?.aborted) throw e;
    }
    return run();
  }

  /** A push whose input is checked: the tracks' states, their rings and the model. */
  private async pushChecked(
    format: KeypointFormat,
    points: Float32Array,
    confidence: Float32Array | undefined,
    batch: PreparedBatch,
    ids: TrackId[],
    signal: AbortSignal | undefined,
  ): Promise<StreamFrame> {
    const frame = this.pushes++;
    const K = format.keypoints;
    const ones = new Float32Array(K).fill(1);
    /** Track p's confidences in this push (all 1 when the push gave none). */
    const confidenceRow = (p: number) => (confidence ? confidence.subarray(p * K, (p + 1) * K) : ones);
    const boxes = ids.map((_, p) =>
      jumpBox(
        {
          keypoints: points.subarray(p * 2 * K, (p + 1) * 2 * K),
          confidence: confidenceRow(p),
        },
        format.name,
      ),
    );
    ids.forEach((id, p) => {
      const track = this.tracks.get(id);
      // Another person under this id (track-gaps.ts): a new history, as after a gap.
      if (track && track.frames > 0 && jumps(track.box, boxes[p])) {
        track.frames = 0;
        track.restarts++;
        this.previous.delete(id);
      }
    });
    const f = this.upsample;
    if (f > 1) {
      // Interpolated frames from each continuing track's previous frame up to this one (frame-rate.ts).
      const rows = ids.flatMap((id, p) => {
        const track = this.tracks.get(id);
        const previous = this.previous.get(id);
        return track && previous && track.frames > 0 && bridgesGap(track.lastPush, frame) ? [{ id, p, previous }] : [];
      });
      // Per track, its previous frame and this one upsampled as liftSequence upsamples a whole track.
      const upsampled = rows.map(({ p, previous }) =>
        upsampleTrack(
          concatFloats(previous.keypoints, points.subarray(p * 2 * K, (p + 1) * 2 * K)),
          concatFloats(previous.confidence, confidenceRow(p)),
          K,
          f,
        ),
      );
      for (let i = 1; i < f && rows.length > 0; i++) {
        const kp = concatFloats(...upsampled.map((u) => u.keypoints.subarray(i * 2 * K, (i + 1) * 2 * K)));
        const conf = concatFloats(...upsampled.map((u) => u.confidence!.subarray(i * K, (i + 1) * K)));
        await this.step(
          this.prepare(kp, conf),
          rows.map(({ id }) => id),
          frame,
          signal,
        );
      }
    }
    const r = await this.step(batch, ids, frame, signal);
    ids.forEach((id, p) => (this.tracks.get(id)!.box = boxes[p]));
    if (f > 1)
      ids.forEach((id, p) =>
        this.previous.set(id, {
          keypoints: points.slice(p * 2 * K, (p + 1) * 2 * K),
          confidence: confidenceRow(p).slice(),
        }),
      );
    return { poses: r.poses, spread: r.spread, root: r.root, radius90: r.radius90, tracks: ids, frame };
  }

  private prepare(keypoints: Float32Array, confidence: Float32Array | undefined): PreparedBatch {
    return prepareInput({ keypoints, imageSize: this.options.imageSize, format: this.options.format, confidence });
  }

  /** One frame of the tracks `ids` through their rings and the model (a push, or one of its interpolated frames). */
  private async step(batch: PreparedBatch, ids: TrackId[], frame: number, signal: AbortSignal | undefined) {
    const P = ids.length;
    const W = this.model.window;
    const newFrames = sequenceFrames(batch, 0, P);
    const windows = new Uint32Array(P * 4);
    const device = this.model.device();
    this.ensureRing(device);
    const ring = this.gpuRing;
    const host = ring ? undefined : this.hostRings();
    ids.forEach((id, p) => {
      const track = this.advance(id, ids, frame);
      const slot = track.slot * W + ((track.frames - 1) % W);
      const row = newFrames.subarray(p * ENCODER_INPUTS, (p + 1) * ENCODER_INPUTS);
      if (ring) device!.queue.writeBuffer(ring, slot * this.gpuStride() * 4, row as Float32Array<ArrayBuffer>);
      else host!.frames.set(row, slot * ENCODER_INPUTS);
      windows.set([0, track.frames - 1, track.frames - 1, track.slot * W], 4 * p);
    });
    const sequence: SequenceInfo = {
      mode: 'causal',
      frames: host?.frames ?? NO_FRAMES,
      windows,
      ring: W,
      gpuRing: ring,
    };
    if (ring && this.model.fuseWindow) sequence.gpuDenoised = this.writeRecords(device!, windows, batch.uv);
    else if (host?.denoised) {
      const V = this.model.fuseWindow!;
      const bases = Uint32Array.from(ids, (id) => this.tracks.get(id)!.slot * V);
      sequence.denoisedRing = { means: host.denoised, bases };
    }
    batch.sequence = sequence;
    return this.model.run(batch, { ...this.options, signal }, this.nextPoseOffset());
  }

  /**
   * The GPU-resident push for WebGPU apps: one frame of `count` tracks from the caller's keypoints
   * buffer, poses (and optionally spread and root) into the caller's buffers, nothing read back.
   * The frame goes into each track's ring on the GPU inside the encoder dispatch (4 dispatches,
   * into the caller's encoder when given). A stream on the fused executor only; H36M keypoints.
   * These frames never reach the host: if the engine has to replace a lost device, the tracks
   * start over.
   */
  pushBuffers(req: StreamBufferPush): Promise<number> {
    const next = this.queue.then(() => this.pushBuffersNow(req)).catch(rethrow('stream.pushBuffers'));
    this.queue = next.catch(() => {});
    return next;
  }

  private async pushBuffersNow(req: StreamBufferPush): Promise<number> {
    this.checkNotDisposed();
    if (typeof req !== 'object' || req === null)
      throw new InputError('pushBuffers(request): a request object is required');
    checkOptionKeys(
      req,
      new Set(['keypoints', 'poses', 'spread', 'root', 'count', 'tracks', 'encoder']),
      'pushBuffers request',
    );
    if ((this.options.format ?? 'h36m17') !== 'h36m17')
      throw new InputError('pushBuffers takes Human3.6M keypoints: create the stream with format "h36m17"');
    if (this.upsample > 1)
      throw new InputError(
        `this stream upsamples its 2D in time (fps under 25), on the host: push() does that; pushBuffers needs a stream of 25 fps or more`,
      );
    const executor = this.model.executor;
    if (executor !== 'fused' && executor !== 'fused-f16')
      throw new InputError(`pushBuffers runs on a fused executor, this stream's is "${executor}"`);
    checkBuffers(req, req.count);
    const ids = this.checkIds(req.tracks, req.count);
    const device = this.model.device();
    if (!device) throw new InputError('pushBuffers needs a GPU executor');
    return this.undoable(() => this.pushBuffersChecked(req, ids, device));
  }

  private async pushBuffersChecked(req: StreamBufferPush, ids: TrackId[], device: GPUDevice): Promise<number> {
    const frame = this.pushes++;
    this.ensureRing(device);
    const W = this.model.window;
    const windows = new Uint32Array(req.count * 4);
    ids.forEach((id, p) => {
      const track = this.advance(id, ids, frame);
      track.box = undefined; // the keypoints stay on the GPU
      windows.set([0, track.frames - 1, track.frames - 1, track.slot * W], 4 * p);
    });
    const sequence: SequenceInfo = {
      mode: 'causal',
      frames: NO_FRAMES,
      windows,
      ring: W,
      gpuRing: this.gpuRing,
      pixels: { keypoints: req.keypoints, imageSize: this.options.imageSize },
      gpuDenoised: this.model.fuseWindow ? this.writeRecords(device, windows) : undefined,
    };
    const { tracks: _, ...lift } = req;
    await this.model.runBuffers(
      { ...lift, imageSize: this.options.imageSize },
      this.options,
      this.nextPoseOffset(),
      sequence,
    );
    return frame;
  }

  /**
   * The random draws' pose offset of the next frame through the model: maxTracks counters per
   * frame, interpolated frames included; after 2^32 / maxTracks frames (9.7 h at 30 fps with 4096
   * tracks, 100 days with 16) the counters start over instead of leaving the u32 range.
   */
  private nextPoseOffset(): number {
    const period = Math.floor(2 ** 32 / this.maxTracks);
    return (this.steps++ % period) * this.maxTracks;
  }

  /** Runs a push's state changes; when it fails, the stream goes back to its state before (snapshot). */
  private async undoable<T>(body: () => Promise<T>): Promise<T> {
    const restore = this.snapshot();
    try {
      return await body();
    } catch (e) {
      restore();
      throw e;
    }
  }

  /**
   * The stream's state before a push changes it, and how to go back to it when the push fails.
   * A track's frame n goes to row n mod the window of its slot in the rings (2D, encoder levels,
   * denoised means), where its frame n - window was: rows its next push writes again and its later
   * windows never read. So a track the failed push advanced once keeps its history exactly. One
   * whose rows it overwrote otherwise — evicted from its slot, started over in it (a gap, another
   * person), or advanced twice (a stream under 25 fps failing after an interpolated frame ran) —
   * starts over at its next push, as after a gap. On a ring made for a new device during the push
   * every track starts over anyway.
   */
  private snapshot(): () => void {
    const tracks = [...this.tracks].map(([id, t]) => [id, { ...t }] as const);
    const previous = [...this.previous];
    const free = [...this.freeSlots];
    const { pushes, steps, slotsUsed, ringDevice } = this;
    return () => {
      const now = new Map(this.tracks);
      this.pushes = pushes;
      this.steps = steps;
      this.forgetTracks();
      if (this.ringDevice !== ringDevice) return;
      for (const [id, p] of previous) this.previous.set(id, p);
      for (const [id, t] of tracks) {
        const after = now.get(id);
        const kept = after?.slot === t.slot && after.restarts === t.restarts && after.frames - t.frames <= 1;
        this.tracks.set(id, kept ? t : { ...t, frames: 0, restarts: t.restarts + 1 });
        if (!kept) this.previous.delete(id);
      }
      this.freeSlots.push(...free);
      this.slotsUsed = slotsUsed;
    };
  }

  private checkNotDisposed(): void {
    if (this.disposed) throw new DiffPoseError('DISPOSED', 'this stream was disposed');
  }

  /**
   * f32 per frame in the GPU ring: (u, v, c), for a v2 file the frame's lifter xyz, then the
   * encoder's level activations at that frame (the last two written by the encoder dispatch).
   */
  private gpuStride(): number {
    return (this.model.fuseWindow ? 2 * ENCODER_INPUTS : ENCODER_INPUTS) + this.model.ringLevels;
  }

  /**
   * v2 on the GPU: each pose's record for the aggregation (its 2D from `uv` when the host has it,
   * its track's first and last frame, its frame, its track's first row in the ring of means).
   */
  private writeRecords(
    device: GPUDevice,
    windows: Uint32Array,
    uv?: Float32Array,
  ): NonNullable<SequenceInfo['gpuDenoised']> {
    const V = this.model.fuseWindow!,
      W = this.model.window;
    const records = Array.from({ length: windows.length / 4 }, (_, p): [number, number, number, number] => {
      const [lo, hi, t, base] = windows.subarray(4 * p, 4 * p + 4);
      return [lo, hi, t, (base / W) * V];
    });
    device.queue.writeBuffer(this.gpuMeans!, 0, fuseRecords(uv, records));
    return { buffer: this.gpuMeans!, ringAt: this.maxTracks * FUSE_RECORD };
  }

  /** A push's track ids: `count` distinct strings or finite numbers (default 0 .. count-1), at most maxTracks. */
  private checkIds(tracks: readonly TrackId[] | undefined, count: number): TrackId[] {
    if (tracks !== undefined && !Array.isArray(tracks))
      throw new InputError(`tracks must be an array of ${count} ids (strings or numbers), got ${typeof tracks}`);
    const ids = tracks ? [...tracks] : Array.from({ length: count }, (_, i) => i);
    if (ids.length !== count) throw new InputError(`tracks has ${ids.length} ids for ${count} poses`);
    if (new Set(ids).size !== count) throw new InputError('tracks: an id appears twice in one push');
    if (count > this.maxTracks)
      throw new InputError(`${count} tracks in one push exceed the stream's maxTracks ${this.maxTracks}`);
    for (const id of ids)
      if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id)))
        throw new InputError(`track ids must be strings or finite numbers, got ${String(id)}`);
    return ids;
  }

  /**
   * The ring on `device`: on the first GPU push or a replaced device a new one, and every track
   * starts over (its cached encoder activations existed only on the lost device).
   */
  private ensureRing(device: GPUDevice | undefined): void {
    if (device !== this.ringDevice) {
      const V = this.model.fuseWindow;
      this.gpuRing = device?.createBuffer({
        label: V ? 'diffpose stream: 2D, lifter and encoder ring' : 'diffpose stream: 2D and encoder ring',
        size: this.maxTracks * this.model.window * this.gpuStride() * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      this.gpuMeans =
        V && device
          ? device.createBuffer({
              label: 'diffpose stream: records and ring of means',
              size: this.maxTracks * (FUSE_RECORD + V * ENCODER_INPUTS) * 4,
              usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
            })
          : undefined;
      // The encoder's cached activations (and a v2 file's lifter xyz and means) exist only on the
      // GPU: on a new device every track starts over.
      if (device) this.forgetTracks();
      this.ringDevice = device;
    }
  }

  /**
   * Track `id` at push `frame`: its state with this frame counted. A track missing from more than
   * MAX_BRIDGED_GAP pushes before this one starts over in its slot (its history is of another moment).
   */
  private advance(id: TrackId, current: TrackId[], frame: number): Track {
    const track = this.slotOf(id, current);
    if (track.frames > 0 && !bridgesGap(track.lastPush, frame)) {
      track.frames = 0;
      track.restarts++;
    }
    track.frames++;
    track.lastPush = frame;
    return track;
  }

  /** The track's state, given a slot on its first push (the least recently pushed track's when all are taken). */
  private slotOf(id: TrackId, current: TrackId[]): Track {
    let track = this.tracks.get(id);
    if (track) return track;
    let slot = this.freeSlots.pop() ?? this.slotsUsed;
    if (slot === this.slotsUsed && slot < this.maxTracks) this.slotsUsed++;
    else if (slot >= this.maxTracks) {
      let oldest: [TrackId, Track] | undefined;
      for (const entry of this.tracks) {
        if (current.includes(entry[0])) continue;
        if (!oldest || entry[1].lastPush < oldest[1].lastPush) oldest = entry;
      }
      this.tracks.delete(oldest![0]);
      this.previous.delete(oldest![0]);
      slot = oldest![1].slot;
    }
    track = { slot, frames: 0, lastPush: -1, restarts: 0 };
    this.tracks.set(id, track);
    return track;
  }

  /**
   * Forgets track `id` after the pushes already made (a person left, or a tracker gives the id to
   * someone else): its slot is free, and a later push of `id` starts a new history. Resolves to
   * whether the stream held the track.
   */
  endTrack(id: TrackId): Promise<boolean> {
    const next = this.queue.then(() => {
      this.checkNotDisposed();
      const track = this.tracks.get(id);
      if (!track) return false;
      this.tracks.delete(id);
      this.previous.delete(id);
      this.freeSlots.push(track.slot);
      return true;
    });
    this.queue = next.catch(() => {});
    return next;
  }

  private forgetTracks(): void {
    this.tracks.clear();
    this.previous.clear();
    this.freeSlots.length = 0;
    this.slotsUsed = 0;
  }

  /** Ids of the tracks whose history the stream holds. */
  get trackIds(): TrackId[] {
    return [...this.tracks.keys()];
  }

  /** Frees the stream's GPU ring; later pushes reject. */
  dispose(): void {
    this.disposed = true;
    // After a push in flight: its dispatches read the ring.
    void this.queue.then(() => {
      this.gpuRing?.destroy();
      this.gpuRing = undefined;
      this.gpuMeans?.destroy();
      this.gpuMeans = undefined;
    });
  }
}
