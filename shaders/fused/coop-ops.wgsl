// Layer operations of the fused reverse process on one item's activations in a scratch slot.
// Two ways to run them (fused/slot.wgsl): COOPERATIVE, the invocations of a workgroup split each
// op (lane = local index, stride = workgroup size) and the caller puts a barrier after it; or
// PER-INVOCATION, one invocation does the whole op alone (lane 0, stride 1), no barrier at all.
// Scratch indices are slot-relative and go through slot_index() (fused/slot.wgsl).
//
// The including shader declares:
//   fn w4(i) / s4(i) / s4_set(i, v) / weight_scalar(i): the weight arena (all constant tensors) and the item's
//     activations ([ROWS, channels / 4] per buffer), in f32 or f16 (fused/storage-f32|f16.wgsl);
//     every op computes in f32 either way
//   var<storage, read> features: array<vec4<f32>>;      per-(t, layer) step-embedding projections
//   fn slot_index(i: u32) -> u32, and the private lane stride `lanes` (fused/slot.wgsl)
// Channel counts are multiples of 4 (the host pads the 2-, 3- and 5-channel layers) and every
// activation buffer has ROWS = 20 rows: 17 joints + 3 padding rows, so a 4-row block never needs a
// bounds check. Padding rows hold junk that no valid row ever reads (joint mixing reads j < 17).
// JOINTS, ROWS, NONE and the ACT_ codes come from the generated prelude (src/kernels/wgsl-constants.ts).

// y = act(x @ W + b) + features[add] + scratch[res], x [ROWS, 4 cin4], W [4 cin4, 4 cout4].
// Each invocation computes a 4-row x 4-output block: per input vec4, 4 weight vec4s and 4
// activation vec4s feed 16 multiply-adds held in registers (register blocking; no shared memory).
fn coop_linear(lid: u32, x: u32, cin4: u32, w: u32, b: u32, cout4: u32, y: u32, act: u32, add: u32, res: u32) {
  let blocks = (ROWS / 4u) * cout4;
  for (var blk = lid; blk < blocks; blk += lanes) {
    let r0 = (blk / cout4) * 4u;
    let ob = blk % cout4;
    let bias = w4(b + ob);
    var acc0 = bias;
    var acc1 = bias;
    var acc2 = bias;
    var acc3 = bias;
    let x0 = x + r0 * cin4;
    for (var c4 = 0u; c4 < cin4; c4++) {
      let wr = w + c4 * 4u * cout4 + ob;
      let w0 = w4(wr);
      let w1 = w4(wr + cout4);
      let w2 = w4(wr + 2u * cout4);
      let w3 = w4(wr + 3u * cout4);
      let a0 = s4(x0 + c4);
      let a1 = s4(x0 + cin4 + c4);
      let a2 = s4(x0 + 2u * cin4 + c4);
      let a3 = s4(x0 + 3u * cin4 + c4);
      acc0 = fma_channels(acc0, a0, w0, w1, w2, w3);
      acc1 = fma_channels(acc1, a1, w0, w1, w2, w3);
      acc2 = fma_channels(acc2, a2, w0, w1, w2, w3);
      acc3 = fma_channels(acc3, a3, w0, w1, w2, w3);
    }
    linear_store(acc0, y, r0 * cout4 + ob, ob, act, add, res);
    linear_store(acc1, y, (r0 + 1u) * cout4 + ob, ob, act, add, res);
    linear_store(acc2, y, (r0 + 2u) * cout4 + ob, ob, act, add, res);
    linear_store(acc3, y, (r0 + 3u) * cout4 + ob, ob, act, add, res);
  }
}

// acc + a.x w0 + a.y w1 + a.z w2 + a.w w3 as a chain of fused multiply-adds, input channel by
// input channel: every form of the linear (fused/ops-subgroup.wgsl too) sums in this order with
// fma, so results are bit-identical whichever variant a batch size picks.
fn fma_channels(acc: vec4<f32>, a: vec4<f32>, w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>) -> vec4<f32> {
  return fma(vec4<f32>(a.w), w3, fma(vec4<f32>(a.z), w2, fma(vec4<f32>(a.y), w1, fma(vec4<f32>(a.x), w0, acc))));
}

// The end of a linear for output vec4 `o` (column vec4 `ob`): activation, step term, residual, store.
fn linear_store(acc: vec4<f32>, y: u32, o: u32, ob: u32, act: u32, add: u32, res: u32) {
  var v = acc;
  if (act == ACT_RELU) { v = max(v, vec4<f32>(0.0)); }
  if (add != NONE) { v += features[add + ob]; }
  if (res != NONE) { v += s4(res + o); }
  s4_set(y + o, v);
}

// y[i, m*c4 + c] = sum_j M_m[i, j] x[j, c] for p matrices M (f32 offset `mats`, [p, 17, 17]).
fn coop_mix(lid: u32, x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  let tasks = JOINTS * c4;
  for (var task = lid; task < tasks; task += lanes) {
    let i = task / c4;
    let cb = task % c4;
    for (var m = 0u; m < p; m++) {
      var acc = vec4<f32>(0.0);
      let row = mats + (m * JOINTS + i) * JOINTS;
      for (var j = 0u; j < params.joint_count; j++) {
        // fma in joint order, as sg_mix (fused/ops-subgroup.wgsl).
        acc = fma(vec4<f32>(weight_scalar(row + j)), s4(x + j * c4 + cb), acc);
      }
      s4_set(y + i * p * c4 + m * c4 + cb, acc);
    }
  }
}

// DiffPose's LayerNorm per row: gain * (x - mean) / (unbiased std + 1e-6) + shift. The row's first
// value is subtracted before summing so that rows with a large mean keep their precision.
fn coop_norm(lid: u32, x: u32, d4: u32, gain: u32, shift: u32, y: u32) {
  for (var r = lid; r < JOINTS; r += lanes) {
    let row = x + r * d4;
    let s0 = s4(row).x;
    var sum = vec4<f32>(0.0);
    for (var c = 0u; c < d4; c++) { sum += s4(row + c) - s0; }
    let n = f32(d4 * 4u);
    let mean = s0 + (sum.x + sum.y + sum.z + sum.w) / n;
    var sq = vec4<f32>(0.0);
    for (var c = 0u; c < d4; c++) { let e = s4(row + c) - mean; sq += e * e; }
    let sd = sqrt((sq.x + sq.y + sq.z + sq.w) / (n - 1.0));
    let inv = 1.0 / (sd + 1e-6);
    for (var c = 0u; c < d4; c++) {
      s4_set(y + r * d4 + c, w4(gain + c) * (s4(row + c) - mean) * inv + w4(shift + c));
    }
  }
}

// FiLM of the temporal denoiser (docs/temporal-model.md §4): y = x (1 + gamma) + beta per channel,
// gamma and beta from the row of the item's pose (film_pose) in the FiLM buffer, the same for
// every joint. Padded channels stay zero: their gamma and beta are zero.
fn coop_film(lid: u32, x: u32, d4: u32, gamma: u32, row4: u32, y: u32) {
  let g0 = film_pose * row4 + gamma;
  for (var i = lid; i < JOINTS * d4; i += lanes) {
    let c = i % d4;
    s4_set(y + i, fma(s4(x + i), vec4<f32>(1.0) + film_load(g0 + c), film_load(g0 + d4 + c)));
  }
}

// Multi-head self-attention over the joints on packed Q | K | V rows [ROWS, 3 d4] -> [ROWS, d4].
// One (head, joint) row per task; every variant runs the same row code, so they stay bit-identical.
fn coop_attention(lid: u32, qkv: u32, d4: u32, heads: u32, out: u32) {
  let dk4 = d4 / heads;
  for (var task = lid; task < heads * JOINTS; task += lanes) {
    if (dk4 <= 4u) {
      attention_row_short(qkv, d4, dk4, task / JOINTS, task % JOINTS, out);
    } else {
      attention_row(qkv, d4, dk4, task / JOINTS, task % JOINTS, out);
    }
  }
}

// Heads of at most 16 channels (dk4 <= 4): q and the output stay in registers and the softmax is
// taken online (running maximum, rescaled sums), so each key and value row is loaded once and q
// never again — on CPU drivers every scratch load is a loop over the SIMD lanes. Channels past dk4
// are loaded (in the slot, harmless) and masked to zero.
fn attention_row_short(qkv: u32, d4: u32, dk4: u32, h: u32, i: u32, out: u32) {
  let stride = 3u * d4;
  let scale = 1.0 / sqrt(f32(dk4 * 4u));
  let zero = vec4<f32>(0.0);
  let q = qkv + i * stride + h * dk4;
  let q0 = s4(q);
  let q1 = select(zero, s4(q + 1u), dk4 > 1u);
  let q2 = select(zero, s4(q + 2u), dk4 > 2u);
  let q3 = select(zero, s4(q + 3u), dk4 > 3u);
  var best = -3.0e38;
  var total = 0.0;
  var a0 = zero;
  var a1 = zero;
  var a2 = zero;
  var a3 = zero;
  for (var j = 0u; j < params.joint_count; j++) {
    let k = qkv + j * stride + d4 + h * dk4;
    let e = q0 * s4(k) + q1 * s4(k + 1u) + q2 * s4(k + 2u) + q3 * s4(k + 3u);
    let score = (e.x + e.y + e.z + e.w) * scale;
    let top = max(best, score);
    let keep = exp(best - top);
    let p = exp(score - top);
    best = top;
    total = total * keep + p;
    let v = k + d4;
    a0 = a0 * keep + p * s4(v);
    a1 = a1 * keep + p * s4(v + 1u);
    a2 = a2 * keep + p * s4(v + 2u);
    a3 = a3 * keep + p * s4(v + 3u);
  }
  let inv = 1.0 / total;
  let o = out + i * d4 + h * dk4;
  s4_set(o, a0 * inv);
  if (dk4 > 1u) { s4_set(o + 1u, a1 * inv); }
  if (dk4 > 2u) { s4_set(o + 2u, a2 * inv); }
  if (dk4 > 3u) { s4_set(o + 3u, a3 * inv); }
}

// Any head size: scores first, then the weighted sum of the value rows.
fn attention_row(qkv: u32, d4: u32, dk4: u32, h: u32, i: u32, out: u32) {
  let scale = 1.0 / sqrt(f32(dk4 * 4u));
  let stride = 3u * d4;
  let q = qkv + i * stride + h * dk4;
  var scores: array<f32, JOINTS>;
  var best = -3.0e38;
  for (var j = 0u; j < params.joint_count; j++) {
    let k = qkv + j * stride + d4 + h * dk4;
    var s = vec4<f32>(0.0);
    for (var c = 0u; c < dk4; c++) { s += s4(q + c) * s4(k + c); }
    scores[j] = (s.x + s.y + s.z + s.w) * scale;
    best = max(best, scores[j]);
  }
  var total = 0.0;
  for (var j = 0u; j < params.joint_count; j++) { scores[j] = exp(scores[j] - best); total += scores[j]; }
  let inv = 1.0 / total;
  for (var c = 0u; c < dk4; c++) {
    var acc = vec4<f32>(0.0);
    for (var j = 0u; j < params.joint_count; j++) { acc += scores[j] * s4(qkv + j * stride + 2u * d4 + h * dk4 + c); }
    s4_set(out + i * d4 + h * dk4 + c, acc * inv);
  }
}
