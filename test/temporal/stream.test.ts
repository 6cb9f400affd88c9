import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import type { DiffPoseError } from '../../src/errors.js';
import { expectClose } from '../helpers/close.js';
import { goldenPath } from '../helpers/golden.js';
import { someKeypoints } from '../helpers/models.js';
import { testGpu } from '../helpers/gpu.js';
import { MAX_BRIDGED_GAP } from '../../src/temporal/track-gaps.js';

const FRAME_WEIGHTS = new URL('../../weights/diffpose.safetensors', import.meta.url);
const tiny = new Uint8Array(readFileSync(goldenPath('tiny-temporal.safetensors')));
const tinyV2 = new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors')));
const IMAGE = [640, 480] as const;

/** Two tracks of 35 frames (past the 27-frame ring), keypoints and confidence per frame. */
function twoTracks() {
  return [0, 1].map((k) => ({
    keypoints: someKeypoints(35, 300 + k),
    confidence: Float32Array.from({ length: 35 * 17 }, (_, i) => 0.4 + (0.6 * ((i * 31 + k) % 11)) / 10),
  }));
}

/**
 * Pushes the tracks frame by frame (track "b" first from frame 3 on, "a" only on even frames
 * after 10 — a track missing from one push at a time keeps its history) and checks every frame against
 * liftSequence (causal) on the frames each track was pushed; official init is deterministic, so
 * the random draws' keys (poseOffset) do not matter.
 */
async function checkStream(model: DiffPose, executor: 'cpu' | 'fused', atol: number): Promise<void> {
  const tracks = twoTracks();
  const stream = await model.createStream({ imageSize: IMAGE, init: 'official', executor, maxTracks: 4 });
  const pushed: Record<string, number[]> = { a: [], b: [] };
  const got: Record<string, Float32Array[]> = { a: [], b: [] };
  for (let f = 0; f < 35; f++) {
    const ids = [...(f >= 3 ? ['b'] : []), ...(f <= 10 || f % 2 === 0 ? ['a'] : [])];
    const at = (id: string) => tracks[id === 'a' ? 0 : 1];
    const kp = ids.flatMap((id) => Array.from(at(id).keypoints.subarray(f * 34, (f + 1) * 34)));
    const conf = ids.flatMap((id) => Array.from(at(id).confidence.subarray(f * 17, (f + 1) * 17)));
    const r = await stream.push(kp, { confidence: conf, tracks: ids });
    expect(r.frame).to.equal(f);
    expect(r.tracks).to.deep.equal(ids);
    ids.forEach((id, p) => {
      pushed[id].push(f);
      got[id].push(r.poses.slice(p * 51, (p + 1) * 51));
    });
  }
  for (const id of ['a', 'b']) {
    const t = tracks[id === 'a' ? 0 : 1];
    const frames = pushed[id];
    const keypoints = Float32Array.from(frames.flatMap((f) => Array.from(t.keypoints.subarray(f * 34, (f + 1) * 34))));
    const confidence = Float32Array.from(
      frames.flatMap((f) => Array.from(t.confidence.subarray(f * 17, (f + 1) * 17))),
    );
    const want = await model.liftSequence(keypoints, {
      imageSize: IMAGE,
      confidence,
      init: 'official',
      causal: true,
      executor,
    });
    got[id].forEach((poses, i) =>
      expectClose(poses, want.poses.subarray(i * 51, (i + 1) * 51), atol, 0, `${executor} track ${id} push ${i}`),
    );
  }
  stream.dispose();
}

/**
 * Track "a" misses MAX_BRIDGED_GAP + 1 pushes (10 .. 12) and starts over; "b" misses
 * MAX_BRIDGED_GAP (10, 11; an empty push counts too) and keeps its history.
 */
async function checkGaps(model: DiffPose, executor: 'cpu' | 'fused', atol: number): Promise<void> {
  const stream = await model.createStream({ imageSize: IMAGE, init: 'official', executor, maxTracks: 4 });
  const [a, b] = twoTracks().map((t) => t.keypoints);
  const frameOf = (t: Float32Array, f: number) => t.subarray(f * 34, (f + 1) * 34);
  const last: Record<string, Float32Array> = {};
  for (let f = 0; f < 20; f++) {
    const ids = [...(f < 10 || f > 12 ? ['a'] : []), ...(f < 10 || f > 11 ? ['b'] : [])];
    const r =
      f === 11
        ? await stream.push([])
        : await stream.push(
            ids.flatMap((id) => Array.from(frameOf(id === 'a' ? a : b, f))),
            { tracks: ids },
          );
    ids.forEach((id, p) => (last[id] = r.poses.slice(p * 51, (p + 1) * 51)));
  }
  const causal = async (t: Float32Array, frames: number[]) => {
    const kp = Float32Array.from(frames.flatMap((f) => Array.from(frameOf(t, f))));
    const r = await model.liftSequence(kp, { imageSize: IMAGE, init: 'official', causal: true, executor });
    return r.poses.slice(r.poses.length - 51);
  };
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  expect(MAX_BRIDGED_GAP).to.equal(2);
  expectClose(last.a, await causal(a, range(13, 20)), atol, 0, `${executor}: "a" after its gap, a new history`);
  expectClose(last.b, await causal(b, [...range(0, 10), ...range(12, 20)]), atol, 0, `${executor}: "b" bridged`);
  const bridged = await causal(a, [...range(0, 10), ...range(13, 20)]);
  expect(Math.max(...last.a.map((v, i) => Math.abs(v - bridged[i])))).to.be.greaterThan(20 * atol);
  stream.dispose();
}

describe('createStream: live causal lifts, one frame per push', function () {
  this.timeout(600_000);

  it("CPU: every push equals liftSequence (causal) on the frames its track was pushed, across the ring's wrap", async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    await checkStream(model, 'cpu', 1e-6);
    model.dispose();
  });

  it("CPU, a v2 file (docs/temporal-model.md §12.3): the same, its output average over each track's ring of denoised poses", async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tinyV2, backend: 'cpu' });
    await checkStream(model, 'cpu', 1e-6);
    model.dispose();
  });

  it('GPU (fused): the same, with the 2D history in a GPU ring', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ device: gpu.device });
    await checkStream(model, 'fused', 5e-4);
    model.dispose();
  });

  it("GPU (fused), up to 20 tracks in a push (the encoder takes 16 per block), a v2 file: every push equals liftSequences (causal) on each track's frames", async function () {
    const gpu = await testGpu(this);
    // The tiny file's random encoder moves the poses by centimetres (the shipped one's corrections are far smaller).
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tinyV2, device: gpu.device });
    const P = 20,
      F = 12;
    // Track k joins at push k % 5: 4 tracks at the first push, 20 from the fifth (blocks of 16 and 4,
    // the second block's tracks at other frames than the first block's first four).
    const tracks = Array.from({ length: P }, (_, k) => someKeypoints(F, 500 + k));
    const stream = await model.createStream({ imageSize: IMAGE, init: 'official', maxTracks: P });
    const got: Float32Array[][] = tracks.map(() => []);
    for (let f = 0; f < F + 4; f++) {
      const ids = tracks.flatMap((_, k) => (f >= k % 5 && f - (k % 5) < F ? [k] : []));
      const kp = ids.flatMap((k) => Array.from(tracks[k].subarray((f - (k % 5)) * 34, (f - (k % 5) + 1) * 34)));
      const r = await stream.push(kp, { tracks: ids.map(String) });
      ids.forEach((k, p) => got[k].push(r.poses.slice(p * 51, (p + 1) * 51)));
    }
    stream.dispose();
    const want = await model.liftSequences(
      tracks.map((keypoints) => ({ keypoints })),
      { imageSize: IMAGE, init: 'official', causal: true },
    );
    got.forEach((poses, k) => {
      expect(poses).to.have.length(F);
      poses.forEach((p, i) =>
        expectClose(p, want[k].poses.subarray(i * 51, (i + 1) * 51), 1e-6, 0, `track ${k} push ${i}`),
      );
    });
    model.dispose();
  });

  it("GPU (fused), a v2 file: the same, with the lifter xyz in the GPU ring and each track's denoised poses in a GPU ring", async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tinyV2, device: gpu.device });
    await checkStream(model, 'fused', 2e-4);
    expect(model.lastCall('fused', 'temporal')!.dispatches).to.equal(4);
    model.dispose();
  });

  for (const [name, weights] of [
    ['', undefined],
    [', a v2 file', tinyV2],
  ] as const)
    it(`GPU-resident pushes (keypoints buffer in, poses buffer out) equal host pushes, into a caller's encoder too${name}`, async function () {
      const gpu = await testGpu(this);
      const { device } = gpu;
      const model = await DiffPose.load(
        weights ? { weights: FRAME_WEIGHTS, temporalWeights: weights, device } : { device },
      );
      const tracks = twoTracks();
      const host = await model.createStream({ imageSize: IMAGE, init: 'official', maxTracks: 3 });
      const resident = await model.createStream({ imageSize: IMAGE, init: 'official', maxTracks: 3 });
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
      const keypoints = device.createBuffer({ size: 2 * 51 * 4, usage });
      const poses = device.createBuffer({ size: 2 * 51 * 4, usage });
      const staging = device.createBuffer({
        size: 2 * 51 * 4,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      try {
        for (let f = 0; f < 32; f++) {
          if (f === 5) {
            // A push the GPU refuses after the stream counted it (a destroyed keypoints buffer):
            // it leaves no trace, the next push is frame 5 with the same history.
            const gone = device.createBuffer({ size: 2 * 51 * 4, usage });
            gone.destroy();
            let failed: unknown;
            try {
              await resident.pushBuffers({ keypoints: gone, poses, count: 2, tracks: ['a', 'b'] });
            } catch (e) {
              failed = e;
            }
            expect((failed as DiffPoseError)?.code).to.equal('GPU_VALIDATION');
          }
          const kp = [0, 1].flatMap((k) => Array.from(tracks[k].keypoints.subarray(f * 34, (f + 1) * 34)));
          const conf = [0, 1].flatMap((k) => Array.from(tracks[k].confidence.subarray(f * 17, (f + 1) * 17)));
          const want = await host.push(kp, { confidence: conf, tracks: ['a', 'b'] });
          const kp3 = new Float32Array(2 * 51);
          for (let i = 0; i < 34; i++) kp3.set([kp[2 * i], kp[2 * i + 1], conf[i]], 3 * i);
          device.queue.writeBuffer(keypoints, 0, kp3);
          // Every other push records into the caller's encoder, which the caller submits.
          const encoder = f % 2 ? device.createCommandEncoder() : undefined;
          expect(await resident.pushBuffers({ keypoints, poses, count: 2, tracks: ['a', 'b'], encoder })).to.equal(f);
          if (encoder) device.queue.submit([encoder.finish()]);
          const copy = device.createCommandEncoder();
          copy.copyBufferToBuffer(poses, 0, staging, 0, 2 * 51 * 4);
          device.queue.submit([copy.finish()]);
          await staging.mapAsync(GPUMapMode.READ);
          const got = new Float32Array(staging.getMappedRange().slice(0));
          staging.unmap();
          expectClose(got, want.poses, 2e-5, 0, `push ${f}`);
        }
        expect(model.lastCall('fused', 'temporal')!.dispatches).to.equal(4);
        let caught: unknown;
        try {
          await resident.pushBuffers({ keypoints, poses: keypoints, count: 2 });
        } catch (e) {
          caught = e;
        }
        expect((caught as Error).message).to.match(/must be different buffers/);
      } finally {
        host.dispose();
        resident.dispose();
        for (const b of [keypoints, poses, staging]) b.destroy();
        model.dispose();
      }
    });

  it('a new track past maxTracks takes the slot of the least recently pushed one, which starts over', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const stream = await model.createStream({ imageSize: IMAGE, init: 'official', maxTracks: 2 });
    const kp = someKeypoints(1, 9);
    await stream.push(kp, { tracks: ['x'] });
    await stream.push(kp, { tracks: ['y'] });
    await stream.push(kp, { tracks: ['y'] });
    await stream.push(kp, { tracks: ['z'] });
    expect(stream.trackIds.sort()).to.deep.equal(['y', 'z']);
    // 'x' again: a new track (its first frame), taking the slot of 'y' (pushed before 'z').
    const again = await stream.push(kp, { tracks: ['x'] });
    const first = await model.liftSequence(kp, { imageSize: IMAGE, init: 'official', causal: true });
    expect(Array.from(again.poses)).to.deep.equal(Array.from(first.poses));
    expect(stream.trackIds.sort()).to.deep.equal(['x', 'z']);
    model.dispose();
  });

  it('a track missing from more than MAX_BRIDGED_GAP pushes starts over; one missing from that many continues (CPU)', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    await checkGaps(model, 'cpu', 1e-6);
    model.dispose();
  });

  it('the same on the GPU ring (fused, a v2 file: its ring of denoised poses starts over too)', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tinyV2, device: gpu.device });
    await checkGaps(model, 'fused', 2e-4);
    model.dispose();
  });

  it('a track whose person jumps more than TRACK_GATE of their size between pushes starts over (another person under the id); a smaller move continues', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const kp = someKeypoints(16, 77);
    // Knees and ankles (2, 3, 5, 6) at low confidence, as detectors guess hidden joints.
    const confidence = Float32Array.from({ length: 16 * 17 }, (_, i) => ([2, 3, 5, 6].includes(i % 17) ? 0.05 : 0.9));
    // Knees and ankles guessed far left on even frames, far right on odd ones (a box of every joint would jump).
    const garbage = Float32Array.from(kp, (v, i) => {
      if (![2, 3, 5, 6].includes(Math.floor(i / 2) % 17)) return v;
      return i % 2 === 1 ? 300 : Math.floor(i / 34) % 2 === 0 ? -600 : 1200;
    });
    for (const [dx, jumps, source] of [
      [400, true, kp], // 1.3 person heights (the person is about 300 px tall)
      [60, false, kp],
      [0, false, garbage],
    ] as const) {
      const moved = Float32Array.from(source, (v, i) => (i >= 10 * 34 && i % 2 === 0 ? v + dx : v));
      const stream = await model.createStream({ imageSize: IMAGE, init: 'official', maxTracks: 2 });
      let last: Float32Array = new Float32Array(0);
      for (let f = 0; f < 16; f++) {
        const push = { tracks: ['a'], confidence: confidence.subarray(f * 17, (f + 1) * 17) };
        last = (await stream.push(moved.subarray(f * 34, (f + 1) * 34), push)).poses;
      }
      const from = jumps ? 10 : 0;
      const want = await model.liftSequence(moved.subarray(from * 34), {
        imageSize: IMAGE,
        init: 'official',
        causal: true,
        confidence: confidence.subarray(from * 17),
      });
      expectClose(last, want.poses.subarray(want.poses.length - 51), 1e-6, 0, `moved ${dx} px`);
      stream.dispose();
    }
    model.dispose();
  });

  it('endTrack frees the slot of a track (after the pushes before it); its id then starts over', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const stream = await model.createStream({ imageSize: IMAGE, init: 'official', maxTracks: 2 });
    const kp = someKeypoints(6, 21);
    const frame = (f: number) => kp.subarray(f * 34, (f + 1) * 34);
    await stream.push(frame(0), { tracks: ['x'] });
    await stream.push([...frame(0), ...frame(1)], { tracks: ['x', 'y'] });
    const pending = stream.push(frame(2), { tracks: ['y'] });
    const [ended, missing] = await Promise.all([stream.endTrack('x'), stream.endTrack('nobody')]);
    await pending;
    expect([ended, missing]).to.deep.equal([true, false]);
    expect(stream.trackIds).to.deep.equal(['y']);
    // "z" takes the freed slot, not "y"'s: "y" keeps its history.
    const r = await stream.push([...frame(3), ...frame(3)], { tracks: ['z', 'y'] });
    const yFrames = Float32Array.from([...frame(1), ...frame(2), ...frame(3)]);
    const y = await model.liftSequence(yFrames, { imageSize: IMAGE, init: 'official', causal: true });
    expectClose(r.poses.subarray(51), y.poses.subarray(102), 1e-6, 0, '"y" after "z" arrived');
    const first = await model.liftSequence(frame(3), { imageSize: IMAGE, init: 'official', causal: true });
    expectClose(r.poses.subarray(0, 51), first.poses, 1e-6, 0, '"z": a first frame');
    const x = await stream.push(frame(4), { tracks: ['x'] });
    const xFirst = await model.liftSequence(frame(4), { imageSize: IMAGE, init: 'official', causal: true });
    expect(Array.from(x.poses)).to.deep.equal(Array.from(xFirst.poses));
    stream.dispose();
    model.dispose();
  });

  it("refuses bad pushes before touching the stream's state, and stays usable", async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const stream = await model.createStream({ imageSize: IMAGE, maxTracks: 2 });
    const kp = someKeypoints(2, 4);
    const bad: Array<[() => Promise<unknown>, RegExp]> = [
      [() => stream.push(kp, { tracks: ['a', 'a'] }), /appears twice/],
      [() => stream.push(kp, { tracks: ['a'] }), /1 ids for 2 poses/],
      [() => stream.push(kp.subarray(0, 33)), /not a multiple of 34/],
      [() => stream.push(someKeypoints(3, 1)), /exceed the stream's maxTracks 2/],
      [() => stream.push(kp, { confidence: new Float32Array(34).fill(2) }), /outside \[0, 1\]/],
      [() => stream.push(kp, { hypotheses: 2 } as never), /unknown option "hypotheses"/],
      [() => stream.push(kp, { tracks: [0, NaN] }), /finite numbers, got NaN/],
      [() => stream.push(kp, { tracks: 5 } as never), /tracks must be an array of 2 ids/],
      // A string is iterable: it must not become one id per character.
      [() => stream.push(kp, { tracks: 'ab' } as never), /tracks must be an array of 2 ids/],
      [() => stream.push(kp, { signal: 'x' } as never), /signal must be an AbortSignal/],
      [() => stream.push(kp, { signal: AbortSignal.abort() }), /aborted/],
      [() => stream.push([], { confidence: [1, 2] }), /confidence has 2 values for a push of no poses/],
      [() => stream.push([], { signal: 'x' } as never), /signal must be an AbortSignal/],
    ];
    for (const [call, pattern] of bad) {
      let caught: unknown;
      try {
        await call();
      } catch (e) {
        caught = e;
      }
      expect((caught as Error)?.message, String(pattern)).to.match(pattern);
    }
    const ok = await stream.push(kp);
    expect(ok.frame, 'refused pushes do not count').to.equal(0);
    expect(ok.poses.length).to.equal(2 * 51);
    let caught: unknown;
    try {
      await model.createStream({ imageSize: IMAGE, maxTrack: 3 } as never);
    } catch (e) {
      caught = e;
    }
    expect((caught as Error).message).to.match(/unknown option "maxTrack"/);
    for (const [camera, pattern] of [
      [{ focal: -1 }, /camera.focal must be a positive number/],
      [{ focl: 500 }, /unknown option "focl"/],
      [{ center: [NaN, 1] }, /camera.center must be \[x, y\]/],
    ] as const) {
      caught = undefined;
      try {
        await model.createStream({ imageSize: IMAGE, camera: camera as never });
      } catch (e) {
        caught = e;
      }
      expect((caught as Error)?.message, JSON.stringify(camera)).to.match(pattern);
    }
    stream.dispose();
    for (const call of [() => stream.push(kp), () => stream.endTrack(0)]) {
      caught = undefined;
      try {
        await call();
      } catch (e) {
        caught = e;
      }
      expect((caught as DiffPoseError).code).to.equal('DISPOSED');
      expect((caught as Error).message).to.match(/this stream was disposed/);
    }
    model.dispose();
  });
});
