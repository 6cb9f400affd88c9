// The temporal context encoder (docs/temporal-model.md §2-3) for each pose of a sequence lift:
// one workgroup per output frame in flight, looping over the poses, evaluating the dilated
// convolutions over the frame's window at only the positions its output depends on (the plan
// table of src/temporal/encoder-plan.ts, interpreted the same way by its CPU reference
// encodeWindowsRef). Writes the FiLM row of the pose and adds its root-centred start correction
// to the lifter's output (`lifter_xyz`, written by the fused lifter dispatch before this one).
// Composed with lib/run.wgsl (run.batch = poses of this chunk).
//
// Phases of one window, a storage barrier after each: 0 load (and normalise) the 27 frames,
// 1 input convolution, then per block its dilated convolution and its pointwise convolution with
// the residual, then the heads, then the write-out.

struct EncoderParams {
  // Windows in flight: workgroups of the dispatch, each with its own scratch region.
  slots: u32,
  phases: u32,
  // Frames per track in a stream's ring buffer (frame i of a window at base + i % ring); 0: `frames` holds the frames in order.
  ring: u32,
}

@group(0) @binding(0) var<uniform> params: EncoderParams;
@group(0) @binding(1) var<storage, read> plan: array<u32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
// [frames, 17, 3]: u, v (model units), confidence of the frames this chunk's windows read.
@group(0) @binding(3) var<storage, read> frames: array<f32>;
// Per pose: (track's first frame, track's last frame, own frame, ring base): frame indices, into `frames` directly or through the ring.
@group(0) @binding(4) var<storage, read> windows: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;
// [poses, 17, 3] root-centred lifter output: the correction is added in place.
@group(0) @binding(6) var<storage, read_write> lifter_xyz: array<f32>;
// [poses, filmOut]: gamma, beta of every denoiser block.
@group(0) @binding(7) var<storage, read_write> film: array<f32>;

override WG_SIZE: u32 = 64u;

fn blk(b: u32, field: u32) -> u32 {
  return plan[ENC_BLOCKS0 + b * ENC_BLOCK_U32 + field];
}

// The window's frames, clamped to the track (edge padding), each normalised on its own.
fn load_window(lid: u32, base: u32, w: vec4<u32>) {
  let win = base + plan[ENC_WIN];
  for (var f = lid; f < plan[ENC_WINDOW]; f += WG_SIZE) {
    var src = u32(clamp(i32(w.z) + i32(f) - i32(plan[ENC_BEFORE]), i32(w.x), i32(w.y)));
    if (params.ring != 0u) { src = w.w + src % params.ring; }
    let at = src * ENC_INPUTS;
    let to = win + f * ENC_INPUTS;
    for (var i = 0u; i < ENC_INPUTS; i++) { scratch[to + i] = frames[at + i]; }
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

fn input_conv(lid: u32, base: u32) {
  let C = plan[ENC_CHANNELS];
  let win = base + plan[ENC_WIN];
  for (var task = lid; task < plan[ENC_COUNT0] * C; task += WG_SIZE) {
    let pos = plan[plan[ENC_LIST0] + task / C];
    let o = task % C;
    var acc = weights[plan[ENC_INPUT_B] + o];
    for (var i = 0u; i < ENC_INPUTS; i++) {
      for (var tap = 0u; tap < 3u; tap++) {
        acc += weights[plan[ENC_INPUT_W] + (o * ENC_INPUTS + i) * 3u + tap] * scratch[win + (pos + tap) * ENC_INPUTS + i];
      }
    }
    scratch[base + plan[ENC_LEVEL0] + pos * C + o] = max(acc, 0.0);
  }
}

fn block_conv(lid: u32, base: u32, b: u32) {
  let C = plan[ENC_CHANNELS];
  let D = blk(b, BLK_DILATION);
  let h = base + blk(b, BLK_H_IN);
  for (var task = lid; task < blk(b, BLK_COUNT) * C; task += WG_SIZE) {
    let q = plan[blk(b, BLK_LIST) + task / C];
    let o = task % C;
    var acc = weights[blk(b, BLK_CONV_B) + o];
    for (var i = 0u; i < C; i++) {
      for (var tap = 0u; tap < 3u; tap++) {
        acc += weights[blk(b, BLK_CONV_W) + (o * C + i) * 3u + tap] * scratch[h + (q + tap * D) * C + i];
      }
    }
    scratch[base + blk(b, BLK_Y) + q * C + o] = max(acc, 0.0);
  }
}

fn block_point(lid: u32, base: u32, b: u32) {
  let C = plan[ENC_CHANNELS];
  let y = base + blk(b, BLK_Y);
  for (var task = lid; task < blk(b, BLK_COUNT) * C; task += WG_SIZE) {
    let q = plan[blk(b, BLK_LIST) + task / C];
    let o = task % C;
    var acc = weights[blk(b, BLK_POINT_B) + o];
    for (var i = 0u; i < C; i++) { acc += weights[blk(b, BLK_POINT_W) + o * C + i] * scratch[y + q * C + i]; }
    scratch[base + blk(b, BLK_H_OUT) + q * C + o] = scratch[base + blk(b, BLK_H_IN) + (q + blk(b, BLK_SHIFT)) * C + o] + max(acc, 0.0);
  }
}

fn heads(lid: u32, base: u32, pose: u32) {
  let C = plan[ENC_CHANNELS];
  let out = plan[ENC_FILM_OUT];
  let feature = base + blk(plan[ENC_BLOCKS] - 1u, BLK_H_OUT);
  for (var k = lid; k < ENC_INPUTS + out; k += WG_SIZE) {
    var w = plan[ENC_POSE_W];
    var b = plan[ENC_POSE_B];
    var row = k;
    if (k >= ENC_INPUTS) {
      w = plan[ENC_FILM_W];
      b = plan[ENC_FILM_B];
      row = k - ENC_INPUTS;
    }
    var acc = weights[b + row];
    for (var i = 0u; i < C; i++) { acc += weights[w + row * C + i] * scratch[feature + i]; }
    if (k < ENC_INPUTS) {
      scratch[base + plan[ENC_DELTA] + k] = acc;
    } else {
      film[pose * out + row] = acc;
    }
  }
}

fn encoder_phase(lid: u32, slot: u32, pose: u32, phase: u32) {
  if (pose >= run.batch) { return; }
  let base = slot * plan[ENC_SCRATCH];
  let blocks = plan[ENC_BLOCKS];
  if (phase == 0u) {
    load_window(lid, base, windows[pose]);
  } else if (phase == 1u) {
    input_conv(lid, base);
  } else if (phase < 2u + 2u * blocks) {
    let b = (phase - 2u) / 2u;
    if ((phase - 2u) % 2u == 0u) { block_conv(lid, base, b); } else { block_point(lid, base, b); }
  } else if (phase == 2u + 2u * blocks) {
    heads(lid, base, pose);
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
