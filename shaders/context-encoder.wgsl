// The temporal context encoder (docs/temporal-model.md §2-3) of a sequence lift's poses, in blocks
// of rows (src/temporal/encoder-plan.ts, whose encodeWindowsRef is the CPU reference): a sequence
// block is up to ENCODER_BLOCK_ROWS consecutive output frames of one track, its convolutions run
// densely over the frames they reach; a stream block (a ring: params.ring != 0) is up to that many
// tracks' newest frames, each level's three taps gathered from the ring's cached activations into
// rows so that one dense convolution (dilation = the block's rows) serves every track. Writes the
// FiLM row of each pose and its start: v1 the correction added to the lifter's output
// (`lifter_xyz`, written by the fused lifter dispatch before this one), v2 the start pose.
// Composed with lib/run.wgsl (run.batch = poses of this dispatch).
//
// Phases of a block, a storage barrier after each: 0 (streams) each pose's own frame into the
// ring (from the caller's keypoints with write_pixels; v2: and its lifter output), 1 load (and
// normalise) the window rows, 2 input convolution, then per encoder block: gather its taps
// (streams; caching the level in the ring), its dilated convolution, its pointwise convolution
// with the residual; then the heads, then the write-out.

struct EncoderParams {
  // Blocks in flight: workgroups of the dispatch, each with its own scratch region.
  slots: u32,
  phases: u32,
  // Frames per track in a stream's ring buffer (frame i of a track at base + i % ring); 0: `frames` holds the frames in order.
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
// Repacked output-minor (encoder-plan.ts); tensor offsets in the plan are f32 indices, multiples of 4.
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
// [frames, 17, 3]: u, v (model units), confidence of the frames this chunk's windows read; a
// stream's ring: per frame those, v2's lifter xyz, then the cached levels.
@group(0) @binding(3) var<storage, read_write> frames: array<f32>;
// Per pose (run.batch of them): (track's first frame, track's last frame, own frame, ring base);
// then (block count, -, -, -) and per block (first pose, rows, -, -) (encoderWindows).
@group(0) @binding(4) var<storage, read> windows: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;
// v1: [poses, 17, 3] root-centred lifter output, the correction added in place. v2: [frames, 17, 3]
// the lifter output of the frames (indexed as `frames`), read; the start poses written at start_at.
@group(0) @binding(6) var<storage, read_write> lifter_xyz: array<f32>;
// [poses, filmOut]: gamma, beta of every denoiser block.
@group(0) @binding(7) var<storage, read_write> film: array<f32>;
// [poses, 17, 3] x, y pixels and confidence: a GPU-resident push's frame of each pose (write_pixels).
@group(0) @binding(8) var<storage, read> keypoints: array<f32>;

override WG_SIZE: u32 = 64u;

// What a dense layer's tiles do with their sums.
const STORE_LEVEL = 0u;  // ReLU, into rows of `cout`
const STORE_POINT = 1u;  // ReLU plus the residual row r + shift of the block's input
const STORE_HEADS = 2u;  // pose columns into the delta rows, FiLM columns into `film`

fn blk(b: u32, field: u32) -> u32 {
  return plan[ENC_BLOCKS0 + b * ENC_BLOCK_U32 + field];
}

fn is_stream() -> bool {
  return params.ring != 0u;
}

// Field of this dispatch's scratch layout (sequence or stream).
fn lay(field: u32) -> u32 {
  return plan[select(plan[ENC_LAYOUT_SEQUENCE], plan[ENC_LAYOUT_STREAM], is_stream()) + field];
}

fn lay_block(b: u32, field: u32) -> u32 {
  return lay(LAY_BLOCKS0 + b * LAY_BLOCK_U32 + field);
}

fn weight(i: u32) -> f32 {
  return weights[i / 4u][i % 4u];
}

// f32 per frame of a stream's ring: the window row, then each cached level (all but the last block's output).
fn ring_stride() -> u32 {
  return plan[ENC_ROW_FLOATS] + plan[ENC_BLOCKS] * plan[ENC_RING_CHANNELS];
}

fn ring_frame(w: vec4<u32>, tau: u32) -> u32 {
  return (w.w + tau % params.ring) * ring_stride();
}

// Ring index of channel 0 of level b at track frame tau. Causal windows only: a level's value at a
// frame depends on no later frame, and the edge padding before the track's first frame makes every
// earlier position equal to the first frame's, so reads before it are read there (bit-exact).
fn level_at(w: vec4<u32>, tau: u32, b: u32) -> u32 {
  return ring_frame(w, tau) + plan[ENC_ROW_FLOATS] + b * plan[ENC_RING_CHANNELS];
}

// Track frame t - back, clamped to the track's first frame.
fn earlier(w: vec4<u32>, back: u32) -> u32 {
  return u32(max(i32(w.z) - i32(back), i32(w.x)));
}

// Rows of level `level` (0: the input convolution's output, b + 1: block b's) in a block of n outputs.
fn level_rows(level: u32, n: u32) -> u32 {
  if (is_stream()) { return n; }
  var rows = n + plan[ENC_WINDOW] - 3u;
  for (var b = 0u; b < level; b++) { rows -= 2u * blk(b, BLK_DILATION); }
  return rows;
}

// docs/temporal-model.md §1: a window row's (u, v) centred on the confidence-weighted mean and
// divided by the weighted RMS distance.
fn normalise_row(to: u32) {
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

// The window rows: a sequence block's frames t0 - before .. t0 + n - 1 + after (clamped to the
// track, edge padding); a stream block's frames t - 2, t - 1, t of each track (tap k of track g at
// row k n + g), from its ring. v2 rows also hold the frame's lifter xyz.
fn load_rows(lid: u32, win: u32, pose0: u32, n: u32) {
  let row_floats = plan[ENC_ROW_FLOATS];
  let lifted = plan[ENC_LIFTED] == 1u;
  let rows = select(n + plan[ENC_WINDOW] - 1u, 3u * n, is_stream());
  for (var f = lid; f < rows; f += WG_SIZE) {
    let to = win + f * row_floats;
    if (is_stream()) {
      let w = windows[pose0 + f % n];
      let at = ring_frame(w, earlier(w, 2u - f / n));
      for (var i = 0u; i < row_floats; i++) { scratch[to + i] = frames[at + i]; }
    } else {
      let w = windows[pose0];
      let src = u32(clamp(i32(w.z) + i32(f) - i32(plan[ENC_BEFORE]), i32(w.x), i32(w.y)));
      for (var i = 0u; i < ENC_INPUTS; i++) { scratch[to + i] = frames[src * ENC_INPUTS + i]; }
      if (lifted) {
        for (var i = 0u; i < ENC_INPUTS; i++) { scratch[to + ENC_INPUTS + i] = lifter_xyz[src * ENC_INPUTS + i]; }
      }
    }
    if (plan[ENC_NORMALISE] == 1u) { normalise_row(to); }
  }
}

// A stream block's taps of encoder block b: rows k n + g = track g's level b at t - (2 - k) D. The
// newest (t) is this push's, in h_prev; it goes into the ring for later pushes, and a tap clamped
// to t (a track's first frames) reads it there too.
fn gather(lid: u32, b: u32, h_prev: u32, x: u32, pose0: u32, n: u32) {
  let cp = plan[ENC_CHANNELS];
  let c_ring = plan[ENC_RING_CHANNELS];
  let d = blk(b, BLK_DILATION);
  for (var task = lid; task < 3u * n * cp; task += WG_SIZE) {
    let row = task / cp;
    let c = task % cp;
    let g = row % n;
    let w = windows[pose0 + g];
    let tau = earlier(w, (2u - row / n) * d);
    var v = 0.0;
    if (c < c_ring) {
      if (tau == w.z) {
        v = scratch[h_prev + g * cp + c];
        if (row / n == 2u) { frames[level_at(w, tau, b) + c] = v; }
      } else {
        v = frames[level_at(w, tau, b) + c];
      }
    }
    scratch[x + row * cp + c] = v;
  }
}

// A dense layer: input rows x (cin wide, dilation d, taps), weights w / bias b, output rows (cout
// wide) at y stored by kind; STORE_POINT adds the row r + shift of res.
struct Layer { x: u32, cin: u32, d: u32, taps: u32, w: u32, b: u32, cout: u32, rows: u32, kind: u32, y: u32, res: u32, shift: u32 }

// One value of a dense layer's output row r, column col, by the layer's store kind.
fn store(l: Layer, r: u32, col: u32, sum: f32, pose0: u32) {
  if (l.kind == STORE_LEVEL) {
    scratch[l.y + r * l.cout + col] = max(sum, 0.0);
  } else if (l.kind == STORE_POINT) {
    scratch[l.y + r * l.cout + col] = scratch[l.res + (r + l.shift) * l.cout + col] + max(sum, 0.0);
  } else if (col < ENC_INPUTS) {
    scratch[l.y + r * ENC_INPUTS + col] = sum;
  } else {
    let f = col - plan[ENC_HEAD_FILM];
    let out = plan[ENC_FILM_OUT];
    if (col >= plan[ENC_HEAD_FILM] && f < out) { film[(pose0 + r) * out + f] = sum; }
  }
}

fn store_row(l: Layer, r: u32, o: u32, a: vec4<f32>, b: vec4<f32>, pose0: u32) {
  if (r >= l.rows) { return; }
  for (var c = 0u; c < 4u; c++) {
    store(l, r, o + c, a[c], pose0);
    store(l, r, o + 4u + c, b[c], pose0);
  }
}

// y[r][o] = b[o] + sum_tap sum_i x[r + tap d][i] W[tap][i][o] for rows [0, rows), stored by `kind`.
// Each task is a 4-row x 8-output tile: per input channel, 4 activation and 8 weight loads feed
// 32 multiply-adds held in registers. Rows past `rows` (up to 3, the layouts' padding rows) are
// computed from whatever the padding holds and not stored.
fn dense(lid: u32, l: Layer, pose0: u32) {
  let cin = l.cin;
  let cols = l.cout / 8u;
  let cout4 = l.cout / 4u;
  let tiles = ((l.rows + 3u) / 4u) * cols;
  for (var task = lid; task < tiles; task += WG_SIZE) {
    let r0 = (task / cols) * 4u;
    let o = (task % cols) * 8u;
    let ba = weights[(l.b + o) / 4u];
    let bb = weights[(l.b + o) / 4u + 1u];
    var a0 = ba;
    var a1 = ba;
    var a2 = ba;
    var a3 = ba;
    var b0 = bb;
    var b1 = bb;
    var b2 = bb;
    var b3 = bb;
    for (var tap = 0u; tap < l.taps; tap++) {
      let x0 = l.x + (r0 + tap * l.d) * cin;
      var wi = (l.w + tap * cin * l.cout + o) / 4u;
      for (var i = 0u; i < cin; i++) {
        let wa = weights[wi];
        let wb = weights[wi + 1u];
        wi += cout4;
        let v0 = vec4<f32>(scratch[x0 + i]);
        let v1 = vec4<f32>(scratch[x0 + cin + i]);
        let v2 = vec4<f32>(scratch[x0 + 2u * cin + i]);
        let v3 = vec4<f32>(scratch[x0 + 3u * cin + i]);
        a0 = fma(v0, wa, a0);
        b0 = fma(v0, wb, b0);
        a1 = fma(v1, wa, a1);
        b1 = fma(v1, wb, b1);
        a2 = fma(v2, wa, a2);
        b2 = fma(v2, wb, b2);
        a3 = fma(v3, wa, a3);
        b3 = fma(v3, wb, b3);
      }
    }
    // One store site (selecting the row's sums) keeps the shader small for CPU drivers' compilers.
    for (var k = 0u; k < 4u; k++) {
      let a = select(select(select(a0, a1, k == 1u), a2, k == 2u), a3, k == 3u);
      let bv = select(select(select(b0, b1, k == 1u), b2, k == 2u), b3, k == 3u);
      store_row(l, r0 + k, o, a, bv, pose0);
    }
  }
}

// A stream's poses' own frames into their rings: from the caller's pixels (model-spec §4) with
// write_pixels, and a v2 file's lifter output of this pass's lifter dispatch.
fn own_frames(lid: u32, pose0: u32, n: u32) {
  if (params.write_pixels == 1u) {
    for (var task = lid; task < n * JOINTS; task += WG_SIZE) {
      let pose = pose0 + task / JOINTS;
      let j = task % JOINTS;
      let w = windows[pose];
      let at = ring_frame(w, w.z) + 3u * j;
      let i = (pose * JOINTS + j) * 3u;
      frames[at] = keypoints[i] / params.width * 2.0 - 1.0;
      frames[at + 1u] = keypoints[i + 1u] / params.width * 2.0 - params.height / params.width;
      frames[at + 2u] = keypoints[i + 2u];
    }
  }
  if (plan[ENC_LIFTED] == 1u) {
    for (var task = lid; task < n * ENC_INPUTS; task += WG_SIZE) {
      let pose = pose0 + task / ENC_INPUTS;
      let w = windows[pose];
      frames[ring_frame(w, w.z) + ENC_INPUTS + task % ENC_INPUTS] = lifter_xyz[pose * ENC_INPUTS + task % ENC_INPUTS];
    }
  }
}

// The correction delta - delta[root] of each row, and: v2 (docs/temporal-model.md §12.1 step 3)
// the start pose, the start average of the window's lifter xyz plus it; v1 it added to the lifter output.
fn write_out(lid: u32, base: u32, pose0: u32, n: u32) {
  let delta = base + lay(LAY_DELTA);
  let win = base + lay(LAY_WIN);
  let row_floats = plan[ENC_ROW_FLOATS];
  let average = plan[ENC_AVERAGE];
  let window = plan[ENC_WINDOW];
  for (var task = lid; task < n * ENC_INPUTS; task += WG_SIZE) {
    let r = task / ENC_INPUTS;
    let k = task % ENC_INPUTS;
    let pose = pose0 + r;
    let correction = scratch[delta + r * ENC_INPUTS + k] - scratch[delta + r * ENC_INPUTS + k % 3u];
    if (plan[ENC_LIFTED] == 0u) {
      lifter_xyz[pose * ENC_INPUTS + k] += correction;
      continue;
    }
    var acc = 0.0;
    if (is_stream()) {
      let w = windows[pose];
      for (var f = 0u; f < window; f++) {
        let src = u32(clamp(i32(w.z) + i32(f) - i32(plan[ENC_BEFORE]), i32(w.x), i32(w.y)));
        acc += weight(average + f * JOINTS + k / 3u) * frames[ring_frame(w, src) + ENC_INPUTS + k];
      }
    } else {
      for (var f = 0u; f < window; f++) {
        acc += weight(average + f * JOINTS + k / 3u) * scratch[win + (r + f) * row_floats + ENC_INPUTS + k];
      }
    }
    lifter_xyz[params.start_at + pose * ENC_INPUTS + k] = acc + correction;
  }
}

fn encoder_phase(lid: u32, slot: u32, index: u32, step: u32) {
  let record = windows[run.batch + 1u + index];
  let pose0 = record.x;
  let n = record.y;
  let base = slot * plan[ENC_SCRATCH];
  let cp = plan[ENC_CHANNELS];
  let blocks = plan[ENC_BLOCKS];
  let stream = is_stream();
  // Every dense phase fills `l`, and one call site runs it.
  var l: Layer;
  if (step == 0u) {
    if (stream) { own_frames(lid, pose0, n); }
    return;
  } else if (step == 1u) {
    load_rows(lid, base + lay(LAY_WIN), pose0, n);
    return;
  } else if (step == 2u) {
    l = Layer(base + lay(LAY_WIN), plan[ENC_ROW_FLOATS], select(1u, n, stream), 3u, plan[ENC_INPUT_W],
              plan[ENC_INPUT_B], cp, level_rows(0u, n), STORE_LEVEL, base + lay(LAY_LEVEL0), 0u, 0u);
  } else if (step < 3u + 3u * blocks) {
    let b = (step - 3u) / 3u;
    let x = base + lay_block(b, LAY_X);
    let y = base + lay_block(b, LAY_Y);
    let rows = level_rows(b + 1u, n);
    let part = (step - 3u) % 3u;
    if (part == 0u) {
      if (stream) {
        var h_prev = base + lay(LAY_LEVEL0);
        if (b > 0u) { h_prev = base + lay_block(b - 1u, LAY_H); }
        gather(lid, b, h_prev, x, pose0, n);
      }
      return;
    } else if (part == 1u) {
      let d = select(blk(b, BLK_DILATION), n, stream);
      l = Layer(x, cp, d, 3u, blk(b, BLK_CONV_W), blk(b, BLK_CONV_B), cp, rows, STORE_LEVEL, y, 0u, 0u);
    } else {
      let shift = select(blk(b, BLK_SHIFT), 2u * n, stream);
      l = Layer(y, cp, 0u, 1u, blk(b, BLK_POINT_W), blk(b, BLK_POINT_B), cp, rows, STORE_POINT,
                base + lay_block(b, LAY_H), x, shift);
    }
  } else if (step == 3u + 3u * blocks) {
    l = Layer(base + lay_block(blocks - 1u, LAY_H), cp, 0u, 1u, plan[ENC_HEAD_W], plan[ENC_HEAD_B],
              plan[ENC_HEAD_OUT], n, STORE_HEADS, base + lay(LAY_DELTA), 0u, 0u);
  } else {
    write_out(lid, base, pose0, n);
    return;
  }
  dense(lid, l, pose0);
}

// One flat loop over (block, phase) with a barrier per iteration: barriers in nested loops
// compile slowly on LLVM-based CPU drivers (see fused/network.wgsl).
@compute @workgroup_size(WG_SIZE)
fn context_encoder(@builtin(workgroup_id) wg: vec3<u32>,
                   @builtin(num_workgroups) num_wg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let count = windows[run.batch].x;
  var mine = 0u;
  if (wg.x < count) { mine = (count - wg.x + num_wg.x - 1u) / num_wg.x; }
  for (var pc = 0u; pc < mine * params.phases; pc++) {
    encoder_phase(lid, wg.x, wg.x + (pc / params.phases) * num_wg.x, pc % params.phases);
    storageBarrier();
  }
}
