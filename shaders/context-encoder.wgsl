// The temporal context encoder (docs/temporal-model.md §2-3) for each pose of a sequence lift:
// one workgroup per output frame in flight, looping over the poses, evaluating the dilated
// convolutions over the frame's window at only the positions its output depends on (the plan
// table of src/temporal/encoder-plan.ts, interpreted the same way by its CPU reference
// encodeWindowsRef). Writes the FiLM row of the pose and adds its root-centred start correction
// to the lifter's output (`lifter_xyz`, written by the fused lifter dispatch before this one).
// Composed with lib/run.wgsl (run.batch = poses of this chunk).
//
// Phases of one window, a storage barrier after each: 0 (write_pixels only) the pose's own frame
// from the caller's keypoints into the ring (a v2 stream: and its lifter output, the ring holding
// (u, v, c, lifter xyz) per frame), 1 load (and normalise) the 27 frames, 2 input
// convolution, then per block its dilated convolution and its pointwise convolution with the
// residual, then the heads, then the write-out (v1: the correction added to the lifter output;
// v2: the start pose, from the start average of the window's lifter xyz, loaded with its frames).

struct EncoderParams {
  // Windows in flight: workgroups of the dispatch, each with its own scratch region.
  slots: u32,
  phases: u32,
  // Frames per track in a stream's ring buffer (frame i of a window at base + i % ring); 0: `frames` holds the frames in order.
  ring: u32,
  // 1: first write each pose's own frame into the ring from the caller's `keypoints` (pixels, a
  // GPU-resident stream push); 0: the host wrote the frames.
  write_pixels: u32,
  // The image size the keypoints are in, with write_pixels.
  width: f32,
  height: f32,
  // v2 (plan ENC_LIFTED): the f32 index in `lifter_xyz` where the start poses [poses, 17, 3] go.
  start_at: u32,
}

@group(0) @binding(0) var<uniform> params: EncoderParams;
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
// [frames, 17, 3]: u, v (model units), confidence of the frames this chunk's windows read.
@group(0) @binding(3) var<storage, read_write> frames: array<f32>;
// Per pose: (track's first frame, track's last frame, own frame, ring base): frame indices, into `frames` directly or through the ring.
@group(0) @binding(4) var<storage, read> windows: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;
// [poses, 17, 3] root-centred lifter output: the correction is added in place. v2: [frames, 17, 3]
// the lifter output of the frames (indexed as `frames`), read; the start poses written at start_at.
@group(0) @binding(6) var<storage, read_write> lifter_xyz: array<f32>;
// [poses, filmOut]: gamma, beta of every denoiser block.
@group(0) @binding(7) var<storage, read_write> film: array<f32>;
// [poses, 17, 3] x, y pixels and confidence: a GPU-resident push's frame of each pose (write_pixels).
@group(0) @binding(8) var<storage, read> keypoints: array<f32>;

override WG_SIZE: u32 = 64u;

fn blk(b: u32, field: u32) -> u32 {
  return plan[ENC_BLOCKS0 + b * ENC_BLOCK_U32 + field];
}

// f32 per frame of a stream's ring before its cached activations: (u, v, c), and a v2 file's lifter xyz.
fn ring_inputs() -> u32 {
  return select(ENC_INPUTS, 2u * ENC_INPUTS, plan[ENC_LIFTED] == 1u);
}

// f32 per frame in `frames`. A stream's ring also caches, per frame, the causal encoder's level
// activations at that frame (input convolution, then each block but the last): a push computes
// one position per level and reads the earlier ones, a third of the multiply-adds of a window.
fn frame_stride() -> u32 {
  if (params.ring == 0u) { return ENC_INPUTS; }
  return ring_inputs() + plan[ENC_BLOCKS] * plan[ENC_CHANNELS];
}

// Ring index of channel 0 of level b at track frame tau. Causal windows only: a level's value at a
// frame depends on no later frame, and the edge padding before the track's first frame makes every
// earlier position equal to the first frame's, so reads before it are read there (bit-exact).
fn level_at(w: vec4<u32>, tau: u32, b: u32) -> u32 {
  return (w.w + tau % params.ring) * frame_stride() + ring_inputs() + b * plan[ENC_CHANNELS];
}

// Track frame t - back, clamped to the track's first frame.
fn earlier(w: vec4<u32>, back: u32) -> u32 {
  return u32(max(i32(w.z) - i32(back), i32(w.x)));
}

// The window's frames, clamped to the track (edge padding), each normalised on its own.
fn load_window(lid: u32, base: u32, w: vec4<u32>) {
  let win = base + plan[ENC_WIN];
  for (var f = lid; f < plan[ENC_WINDOW]; f += WG_SIZE) {
    var src = u32(clamp(i32(w.z) + i32(f) - i32(plan[ENC_BEFORE]), i32(w.x), i32(w.y)));
    if (params.ring != 0u) { src = w.w + src % params.ring; }
    let at = src * frame_stride();
    let to = win + f * ENC_INPUTS;
    for (var i = 0u; i < ENC_INPUTS; i++) { scratch[to + i] = frames[at + i]; }
    if (plan[ENC_LIFTED] == 1u) {
      let lw = base + plan[ENC_LIFT_WIN] + f * ENC_INPUTS;
      if (params.ring != 0u) {
        for (var i = 0u; i < ENC_INPUTS; i++) { scratch[lw + i] = frames[at + ENC_INPUTS + i]; }
      } else {
        for (var i = 0u; i < ENC_INPUTS; i++) { scratch[lw + i] = lifter_xyz[src * ENC_INPUTS + i]; }
      }
    }
    if (plan[ENC_NORMALISE] == 0u) { continue; }
    // docs/temporal-model.md §1: centre on the confidence-weighted mean, divide by the weighted RMS distance.
    var sw = 0.0;
    var m = vec2<f32>(0.0);
    for (var j = 0u; j < JOINTS; j++) {
      let c = scratch[to + 3u * j + 2u] + 1e-3;
      sw += c;
      m += c * vec2<f32>(scratch[to + 3u * j], scratch[to + 3u * j + 1u]);
    }
    m /= sw;
    var ss = 0.0;
    for (var j = 0u; j < JOINTS; j++) {
      let d = vec2<f32>(scratch[to + 3u * j], scratch[to + 3u * j + 1u]) - m;
      ss += (scratch[to + 3u * j + 2u] + 1e-3) * dot(d, d);
    }
    let s = sqrt(ss / sw) + 1e-4;
    for (var j = 0u; j < JOINTS; j++) {
      scratch[to + 3u * j] = (scratch[to + 3u * j] - m.x) / s;
      scratch[to + 3u * j + 1u] = (scratch[to + 3u * j + 1u] - m.y) / s;
    }
  }
}

fn input_conv(lid: u32, base: u32, w: vec4<u32>) {
  // Table values read once: LLVM-based drivers do not hoist storage loads out of the loops.
  let C = plan[ENC_CHANNELS];
  let win = base + plan[ENC_WIN];
  let list = plan[ENC_LIST0];
  let wt = plan[ENC_INPUT_W];
  let bias = plan[ENC_INPUT_B];
  let out = base + plan[ENC_LEVEL0];
  // A stream: only the newest position (its last three frames), into the ring.
  let cached = params.ring != 0u;
  let tasks = select(plan[ENC_COUNT0] * C, C, cached);
  let newest = plan[ENC_WINDOW] - 3u;
  // v2: 102 inputs, the last 51 the window frames' lifter xyz.
  let lifted = plan[ENC_LIFTED];
  let lw = base + plan[ENC_LIFT_WIN];
  for (var task = lid; task < tasks; task += WG_SIZE) {
    let pos = select(plan[list + task / C], newest, cached);
    let o = task % C;
    var acc = weights[bias + o];
    let w0 = wt + o * ENC_INPUTS * (1u + lifted) * 3u;
    let x0 = win + pos * ENC_INPUTS;
    for (var i = 0u; i < ENC_INPUTS; i++) {
      for (var tap = 0u; tap < 3u; tap++) {
        acc += weights[w0 + i * 3u + tap] * scratch[x0 + tap * ENC_INPUTS + i];
      }
    }
    if (lifted == 1u) {
      let l0 = lw + pos * ENC_INPUTS;
      let w1 = w0 + ENC_INPUTS * 3u;
      for (var i = 0u; i < ENC_INPUTS; i++) {
        for (var tap = 0u; tap < 3u; tap++) {
          acc += weights[w1 + i * 3u + tap] * scratch[l0 + tap * ENC_INPUTS + i];
        }
      }
    }
    if (cached) {
      frames[level_at(w, w.z, 0u) + o] = max(acc, 0.0);
    } else {
      scratch[out + pos * C + o] = max(acc, 0.0);
    }
  }
}

fn block_conv(lid: u32, base: u32, b: u32, w: vec4<u32>) {
  let C = plan[ENC_CHANNELS];
  let D = blk(b, BLK_DILATION);
  let h = base + blk(b, BLK_H_IN);
  let list = blk(b, BLK_LIST);
  let wt = blk(b, BLK_CONV_W);
  let bias = blk(b, BLK_CONV_B);
  let out = base + blk(b, BLK_Y);
  if (params.ring != 0u) {
    // A stream: the newest position from the ring's cached level b at t - 2D, t - D, t.
    let taps = vec3<u32>(level_at(w, earlier(w, 2u * D), b), level_at(w, earlier(w, D), b), level_at(w, w.z, b));
    for (var o = lid; o < C; o += WG_SIZE) {
      var acc = weights[bias + o];
      let w0 = wt + o * C * 3u;
      for (var i = 0u; i < C; i++) {
        for (var tap = 0u; tap < 3u; tap++) {
          acc += weights[w0 + i * 3u + tap] * frames[taps[tap] + i];
        }
      }
      scratch[out + o] = max(acc, 0.0);
    }
    return;
  }
  let tasks = blk(b, BLK_COUNT) * C;
  for (var task = lid; task < tasks; task += WG_SIZE) {
    let q = plan[list + task / C];
    let o = task % C;
    var acc = weights[bias + o];
    let w0 = wt + o * C * 3u;
    for (var i = 0u; i < C; i++) {
      for (var tap = 0u; tap < 3u; tap++) {
        acc += weights[w0 + i * 3u + tap] * scratch[h + (q + tap * D) * C + i];
      }
    }
    scratch[out + q * C + o] = max(acc, 0.0);
  }
}

fn block_point(lid: u32, base: u32, b: u32, w: vec4<u32>) {
  let C = plan[ENC_CHANNELS];
  let y = base + blk(b, BLK_Y);
  let list = blk(b, BLK_LIST);
  let wt = blk(b, BLK_POINT_W);
  let bias = blk(b, BLK_POINT_B);
  let h_in = base + blk(b, BLK_H_IN);
  let h_out = base + blk(b, BLK_H_OUT);
  let shift = blk(b, BLK_SHIFT);
  if (params.ring != 0u) {
    // A stream: level b + 1 at t into the ring (the last block's output into scratch, for the heads).
    let last = b + 1u == plan[ENC_BLOCKS];
    let h_t = level_at(w, w.z, b);
    for (var o = lid; o < C; o += WG_SIZE) {
      var acc = weights[bias + o];
      let w0 = wt + o * C;
      for (var i = 0u; i < C; i++) { acc += weights[w0 + i] * scratch[y + i]; }
      let v = frames[h_t + o] + max(acc, 0.0);
      if (last) {
        scratch[h_out + o] = v;
      } else {
        frames[level_at(w, w.z, b + 1u) + o] = v;
      }
    }
    return;
  }
  let tasks = blk(b, BLK_COUNT) * C;
  for (var task = lid; task < tasks; task += WG_SIZE) {
    let q = plan[list + task / C];
    let o = task % C;
    var acc = weights[bias + o];
    let w0 = wt + o * C;
    let y0 = y + q * C;
    for (var i = 0u; i < C; i++) { acc += weights[w0 + i] * scratch[y0 + i]; }
    scratch[h_out + q * C + o] = scratch[h_in + (q + shift) * C + o] + max(acc, 0.0);
  }
}

fn heads(lid: u32, base: u32, pose: u32) {
  let C = plan[ENC_CHANNELS];
  let out = plan[ENC_FILM_OUT];
  let feature = base + blk(plan[ENC_BLOCKS] - 1u, BLK_H_OUT);
  let pose_w = plan[ENC_POSE_W];
  let pose_b = plan[ENC_POSE_B];
  let film_w = plan[ENC_FILM_W];
  let film_b = plan[ENC_FILM_B];
  let delta = base + plan[ENC_DELTA];
  for (var k = lid; k < ENC_INPUTS + out; k += WG_SIZE) {
    var w = pose_w + k * C;
    var acc = weights[pose_b + k];
    if (k >= ENC_INPUTS) {
      w = film_w + (k - ENC_INPUTS) * C;
      acc = weights[film_b + k - ENC_INPUTS];
    }
    for (var i = 0u; i < C; i++) { acc += weights[w + i] * scratch[feature + i]; }
    if (k < ENC_INPUTS) {
      scratch[delta + k] = acc;
    } else {
      film[pose * out + k - ENC_INPUTS] = acc;
    }
  }
}

// The pose's own frame t, from pixels to the model's uv (model-spec §4), into its track's ring slot.
fn write_own_frame(lid: u32, pose: u32, w: vec4<u32>) {
  let at = (w.w + w.z % params.ring) * frame_stride();
  for (var j = lid; j < JOINTS; j += WG_SIZE) {
    let i = (pose * JOINTS + j) * 3u;
    frames[at + 3u * j] = keypoints[i] / params.width * 2.0 - 1.0;
    frames[at + 3u * j + 1u] = keypoints[i + 1u] / params.width * 2.0 - params.height / params.width;
    frames[at + 3u * j + 2u] = keypoints[i + 2u];
  }
}

// v2 (docs/temporal-model.md §12.1 step 3): start[j] = sum over the window of average[f][j] * the
// frame's lifter xyz[j], plus the root-centred correction.
fn write_start(lid: u32, base: u32, pose: u32) {
  let delta = base + plan[ENC_DELTA];
  let lw = base + plan[ENC_LIFT_WIN];
  let average = plan[ENC_AVERAGE];
  for (var k = lid; k < ENC_INPUTS; k += WG_SIZE) {
    var acc = 0.0;
    for (var f = 0u; f < plan[ENC_WINDOW]; f++) {
      acc += weights[average + f * JOINTS + k / 3u] * scratch[lw + f * ENC_INPUTS + k];
    }
    lifter_xyz[params.start_at + pose * ENC_INPUTS + k] = acc + (scratch[delta + k] - scratch[delta + k % 3u]);
  }
}

fn encoder_phase(lid: u32, slot: u32, pose: u32, step: u32) {
  if (pose >= run.batch) { return; }
  if (step == 0u) {
    if (params.write_pixels == 1u) { write_own_frame(lid, pose, windows[pose]); }
    // A v2 stream: the pose's lifter output (this pass's lifter dispatch) into its ring slot.
    if (params.ring != 0u && plan[ENC_LIFTED] == 1u) {
      let w = windows[pose];
      let at = (w.w + w.z % params.ring) * frame_stride() + ENC_INPUTS;
      for (var k = lid; k < ENC_INPUTS; k += WG_SIZE) { frames[at + k] = lifter_xyz[pose * ENC_INPUTS + k]; }
    }
    return;
  }
  let phase = step - 1u;
  let base = slot * plan[ENC_SCRATCH];
  let blocks = plan[ENC_BLOCKS];
  if (phase == 0u) {
    load_window(lid, base, windows[pose]);
  } else if (phase == 1u) {
    input_conv(lid, base, windows[pose]);
  } else if (phase < 2u + 2u * blocks) {
    let b = (phase - 2u) / 2u;
    if ((phase - 2u) % 2u == 0u) {
      block_conv(lid, base, b, windows[pose]);
    } else {
      block_point(lid, base, b, windows[pose]);
    }
  } else if (phase == 2u + 2u * blocks) {
    heads(lid, base, pose);
  } else if (plan[ENC_LIFTED] == 1u) {
    write_start(lid, base, pose);
  } else {
    let delta = base + plan[ENC_DELTA];
    for (var k = lid; k < ENC_INPUTS; k += WG_SIZE) {
      lifter_xyz[pose * ENC_INPUTS + k] += scratch[delta + k] - scratch[delta + k % 3u];
    }
  }
}

// One flat loop over (window, phase) with a barrier per iteration: barriers in nested loops
// compile slowly on LLVM-based CPU drivers (see fused/network.wgsl).
@compute @workgroup_size(WG_SIZE)
fn context_encoder(@builtin(workgroup_id) wg: vec3<u32>,
                   @builtin(num_workgroups) num_wg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  var mine = 0u;
  if (wg.x < run.batch) { mine = (run.batch - wg.x + num_wg.x - 1u) / num_wg.x; }
  for (var pc = 0u; pc < mine * params.phases; pc++) {
    encoder_phase(lid, wg.x, wg.x + (pc / params.phases) * num_wg.x, pc % params.phases);
    storageBarrier();
  }
}
