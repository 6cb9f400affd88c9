import { DiffPose, type LiftResult } from '../../src/diffpose.js';
import { NoAdapterError } from '../../src/errors.js';
import { DEMO_EXAMPLES, type DemoExample } from './example-list.js';
import { KeypointsView2d } from './keypoints-view-2d.js';
import { PoseView3d } from './pose-view-3d.js';
import { writeBvh } from '../../src/export/bvh.js';
import { writeGlb } from '../../src/export/gltf.js';
import { buildRig, solveMotion } from '../../src/export/rig.js';
import { LiveMode, type LiveFrame } from './live.js';
import { colourValues } from './spread-colour.js';
import {
  DEMO_MODELS,
  liftSequenceWith,
  sequenceFromText,
  type DemoModel,
  type LiftSettings,
  type Sequence,
} from './sequence.js';

/**
 * The demo page: loads the library and the weights, lifts a bundled example on WebGPU
 * (navigator.gpu), animates the result. Query parameters preset the controls:
 * ?example=walk|basketball&model=offline|causal|frame&hypotheses=8&timesteps=12,0&seed=0&play=0&live=1.
 * The live mode plays the example frame by frame through createStream (or frame lifts) at its
 * frame rate; its state is `window.__diffposeLive`.
 *
 * The last lift is exposed as `window.__diffposeResult` (status 'done', or 'error' / 'no-webgpu'
 * with a message) for the browser test and for anyone poking at the page from the console.
 */

export interface PageResult {
  status: 'done' | 'error' | 'no-webgpu';
  message?: string;
  example?: string;
  file?: string;
  imageSize?: [number, number];
  format?: string;
  frames?: number;
  hypotheses?: number;
  timesteps?: number[];
  model?: DemoModel;
  seed?: number;
  adapter?: string;
  /** The library's executor that ran the lift. */
  executor?: string;
  liftMs?: number;
  msPerFrame?: number;
  /** frames * 17 * 3 and frames * 17. */
  poses?: number[];
  spread?: number[];
}

declare global {
  interface Window {
    __diffposeResult?: PageResult;
    __diffposeLive?: { pushes: number; medianMs: number; jitter: number; model: string; frame: number };
  }
}

const FPS = 15;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  message: $<HTMLDivElement>('message'),
  status: $<HTMLSpanElement>('status'),
  adapter: $<HTMLSpanElement>('adapter'),
  timing: $<HTMLSpanElement>('timing'),
  example: $<HTMLSelectElement>('example'),
  hypotheses: $<HTMLSelectElement>('hypotheses'),
  model: $<HTMLSelectElement>('model'),
  live: $<HTMLButtonElement>('live'),
  liveStats: $<HTMLSpanElement>('live-stats'),
  bvh: $<HTMLButtonElement>('bvh'),
  glb: $<HTMLButtonElement>('glb'),
  timesteps: $<HTMLSelectElement>('timesteps'),
  lift: $<HTMLButtonElement>('lift'),
  play: $<HTMLButtonElement>('play'),
  frame: $<HTMLInputElement>('frame'),
};

function showMessage(text: string): void {
  ui.message.textContent = text;
  ui.message.hidden = false;
  ui.status.textContent = 'stopped';
}

function presetControls(): void {
  const q = new URLSearchParams(location.search);
  for (const e of DEMO_EXAMPLES) ui.example.add(new Option(e.label, e.id));
  ui.example.value = q.get('example') ?? DEMO_EXAMPLES[0].id;
  ui.hypotheses.value = q.get('hypotheses') ?? '8';
  const model = q.get('model') as DemoModel | null;
  ui.model.value = model && DEMO_MODELS.includes(model) ? model : 'offline';
  const steps = q.get('timesteps');
  if (steps && !Array.from(ui.timesteps.options).some((o) => o.value === steps))
    ui.timesteps.add(new Option(steps, steps));
  ui.timesteps.value = steps ?? '12,0';
}

function settings(): LiftSettings {
  const seed = Number(new URLSearchParams(location.search).get('seed') ?? 0);
  return {
    hypotheses: Number(ui.hypotheses.value),
    timesteps: ui.timesteps.value.split(',').map(Number),
    seed,
    model: ui.model.value as DemoModel,
  };
}

async function loadSequence(example: DemoExample): Promise<Sequence> {
  const res = await fetch(`examples/${example.file}`);
  if (!res.ok) throw new Error(`cannot fetch examples/${example.file}: HTTP ${res.status}`);
  return sequenceFromText(example, await res.text());
}

class Player {
  private lifted?: { seq: Sequence; r: LiftResult };
  private frame = 0;
  private playing = new URLSearchParams(location.search).get('play') !== '0';
  private lastStep = 0;

  constructor(
    private readonly view2d: KeypointsView2d,
    private readonly view3d: PoseView3d,
  ) {
    ui.play.textContent = this.playing ? 'Pause' : 'Play';
    ui.play.onclick = () => {
      this.playing = !this.playing;
      ui.play.textContent = this.playing ? 'Pause' : 'Play';
    };
    ui.frame.oninput = () => this.goTo(Number(ui.frame.value));
    const tick = (t: number) => {
      if (this.lifted && this.playing && t - this.lastStep >= 1000 / FPS) {
        this.lastStep = t;
        this.goTo((this.frame + 1) % this.lifted.seq.frames);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  load(seq: Sequence, r: LiftResult): void {
    this.lifted = { seq, r };
    ui.bvh.disabled = ui.glb.disabled = false;
    ui.bvh.onclick = () => download(seq, r, 'bvh');
    ui.glb.onclick = () => download(seq, r, 'glb');
    ui.frame.max = String(seq.frames - 1);
    this.goTo(0);
  }

  /** Stops playing the lifted sequence (the live mode takes over the views). */
  pause(): void {
    this.playing = false;
    ui.play.textContent = 'Play';
  }

  private goTo(frame: number): void {
    if (!this.lifted) return;
    const { seq, r } = this.lifted;
    this.frame = frame;
    ui.frame.value = String(frame);
    const H = r.hypotheses;
    this.view2d.show(seq, frame);
    const colourBy = colourValues(r);
    this.view3d.show(
      r.poses.subarray(frame * 51, frame * 51 + 51),
      colourBy.subarray(frame * 17, frame * 17 + 17),
      r.samples!.subarray(frame * H * 51, (frame + 1) * H * 51),
      rootPath(r.root, frame),
    );
  }
}

/** The root's positions of frames 0..frame relative to the first finite one (camera frame). */
function rootPath(root: Float32Array, frame: number): Float32Array {
  const first = Array.from({ length: root.length / 3 }, (_, i) => i).find((i) => Number.isFinite(root[3 * i]));
  const out = new Float32Array(3 * (frame + 1)).fill(NaN);
  if (first === undefined) return out;
  for (let i = 0; i <= frame; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = root[3 * i + c] - root[3 * first + c];
  return out;
}

/** The lifted sequence as a BVH or binary glTF file (src/export), offered as a download. */
function download(seq: Sequence, r: LiftResult, kind: 'bvh' | 'glb'): void {
  const rig = buildRig(r.poses, seq.frames);
  const motion = solveMotion(rig, r.poses, seq.frames, FPS, r.root);
  const data = kind === 'bvh' ? writeBvh(rig, motion) : writeGlb(rig, motion);
  const url = URL.createObjectURL(
    new Blob([data as BlobPart], { type: kind === 'bvh' ? 'text/plain' : 'model/gltf-binary' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = `${seq.example.id}.${kind}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function liftAndShow(model: DiffPose, player: Player): Promise<void> {
  window.__diffposeResult = undefined;
  const example = DEMO_EXAMPLES.find((e) => e.id === ui.example.value) ?? DEMO_EXAMPLES[0];
  const s = settings();
  ui.lift.disabled = true;
  try {
    const seq = await loadSequence(example);
    ui.status.textContent = `lifting ${seq.frames} frames x ${s.hypotheses} hypotheses…`;
    const started = performance.now();
    const r = await liftSequenceWith(model, seq, s);
    const liftMs = performance.now() - started;
    player.load(seq, r);
    const which = {
      offline: 'temporal model, centred window',
      causal: 'temporal model, causal window',
      frame: 'frame by frame',
    }[s.model];
    ui.status.textContent = `${example.label}: ${seq.frames} frames, ${which}, ${s.hypotheses} hypotheses, timesteps ${s.timesteps.join(', ')}`;
    ui.timing.textContent = `lift ${liftMs.toFixed(0)} ms = ${(liftMs / seq.frames).toFixed(1)} ms per frame (${r.executor} executor)`;
    window.__diffposeResult = {
      status: 'done',
      example: example.id,
      file: example.file,
      imageSize: seq.imageSize,
      format: seq.format,
      frames: seq.frames,
      hypotheses: s.hypotheses,
      timesteps: s.timesteps,
      seed: s.seed,
      model: s.model,
      adapter: model.adapter,
      executor: r.executor,
      liftMs,
      msPerFrame: liftMs / seq.frames,
      poses: Array.from(r.poses),
      spread: Array.from(r.spread),
    };
  } finally {
    ui.lift.disabled = false;
  }
}

async function start(): Promise<void> {
  presetControls();
  const advice =
    'Use a recent Chrome or Edge (113+), Safari 26+, or Firefox with WebGPU enabled, on a page served from https or localhost.';
  if (!('gpu' in navigator) || !navigator.gpu) {
    noWebGpu(`This browser has no WebGPU (navigator.gpu is missing), so the model cannot run here. ${advice}`);
    return;
  }
  ui.status.textContent = 'loading the model…';
  let model: DiffPose;
  try {
    model = await DiffPose.load({
      weights: new URL('weights/diffpose.safetensors', location.href),
      temporalWeights: new URL('weights/diffpose-temporal.safetensors', location.href),
    });
  } catch (e) {
    // The library's own message is about Node's drivers; in a browser the cause is the browser's.
    if (!(e instanceof NoAdapterError)) throw e;
    noWebGpu(
      `This browser has WebGPU but gave no adapter (no usable GPU, or WebGPU is disabled or blocklisted here), so the model cannot run. ${advice}`,
    );
    return;
  }
  ui.adapter.textContent = `adapter: ${model.adapter}`;
  const view2d = new KeypointsView2d($('view2d')),
    view3d = new PoseView3d($('view3d'));
  const player = new Player(view2d, view3d);
  const live = new LiveMode(model, (seq: Sequence, f: LiveFrame) => {
    view2d.show(seq, f.frame);
    view3d.show(f.poses, colourValues(f), new Float32Array(0));
    ui.liveStats.textContent = `live (${f.model}): ${f.medianMs.toFixed(1)} ms per push (median of the last 30), jitter ${f.jitter.toFixed(1)} mm/frame²`;
    window.__diffposeLive = {
      pushes: live.pushes,
      medianMs: f.medianMs,
      jitter: f.jitter,
      model: f.model,
      frame: f.frame,
    };
  });
  const startLive = async () => {
    player.pause();
    ui.live.textContent = 'Stop live';
    const example = DEMO_EXAMPLES.find((e) => e.id === ui.example.value) ?? DEMO_EXAMPLES[0];
    await live.start(await loadSequence(example), settings(), example.fps);
  };
  const stopLive = () => {
    live.stop();
    ui.live.textContent = 'Live';
  };
  ui.live.onclick = () => (live.active ? stopLive() : startLive().catch(fail));
  const relift = () => (live.active ? startLive() : liftAndShow(model, player)).catch(fail);
  ui.lift.onclick = () => {
    stopLive();
    void liftAndShow(model, player).catch(fail);
  };
  ui.example.onchange = ui.hypotheses.onchange = ui.timesteps.onchange = ui.model.onchange = relift;
  await liftAndShow(model, player);
  if (new URLSearchParams(location.search).get('live') === '1') await startLive();
}

function noWebGpu(message: string): void {
  showMessage(message);
  window.__diffposeResult = { status: 'no-webgpu', message };
}

function fail(e: unknown): void {
  const message = (e as Error).message ?? String(e);
  showMessage(`DiffPose failed: ${message}`);
  window.__diffposeResult = { status: 'error', message };
  console.error(e);
}

start().catch(fail);
