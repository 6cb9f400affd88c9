// The subgroup forms of the linear and mixing ops of the network interpreter (fused/network.wgsl)
// for CPU drivers whose subgroups are exactly 8 lanes, in workgroups of 8 invocations (llvmpipe at
// 256-bit vectors). The lanes need the same weights: per-invocation, each lane is one item;
// cooperative, each lane takes other rows of the workgroup's item. The variant's file
// (fused/ops-subgroup-lane.wgsl or -group.wgsl) says which rows a lane computes and defines
// op_mix. llvmpipe turns every storage load whose address is not a compile-time uniform into a
// loop over the lanes (about 4.5 cycles per lane and component, against ~0.1 for a multiply-add),
// and a weight load inside a loop is never such a uniform. So here each lane loads a different
// weight row (1/8 of a block) and the rows go to every lane by subgroupShuffle, which is cheap
// register shuffling; a block of 3 rows x 16 outputs then reuses each loaded activation 16
// times and each weight 3 times. Measured on a linear 64 -> 64: 2.4x the multiply-adds per second
// of coop_linear (2-row blocks; 3 rows are as fast per item and let one pose's 17 rows go in one
// round over the 8 lanes). Needs the whole control flow above uniform (the per-invocation entry
// points loop over rounds of items, not over a lane's own items) and coop-ops.wgsl for the shapes
// these do not cover.
enable subgroups;

// SG_ROWS (generated prelude): the 17 joints rounded up to whole 3-row blocks of sg_linear and
// 6-row blocks of sg_mix (18; row 17 is a padding row, fused/coop-ops.wgsl); SG_LANES: 8.

// 16 consecutive outputs (4 vec4) of one row, or one input channel's weights for them.
struct Quad { c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32> }

fn quad_weights(i: u32) -> Quad {
  return Quad(w4(i), w4(i + 1u), w4(i + 2u), w4(i + 3u));
}

fn quad_fma(acc: Quad, v: f32, w: Quad) -> Quad {
  let s = vec4<f32>(v);
  return Quad(fma(s, w.c0, acc.c0), fma(s, w.c1, acc.c1), fma(s, w.c2, acc.c2), fma(s, w.c3, acc.c3));
}

fn quad_from_lane(w: Quad, lane: u32) -> Quad {
  return Quad(subgroupShuffle(w.c0, lane), subgroupShuffle(w.c1, lane), subgroupShuffle(w.c2, lane), subgroupShuffle(w.c3, lane));
}

// linear_store (coop-ops.wgsl) of a row's 16 outputs from vec4 `o` (column vec4 `ob`) on.
fn quad_store(a: Quad, y: u32, o: u32, ob: u32, act: u32, add: u32, res: u32) {
  linear_store(a.c0, y, o, ob, act, add, res);
  linear_store(a.c1, y, o + 1u, ob + 1u, act, add, res);
  linear_store(a.c2, y, o + 2u, ob + 2u, act, add, res);
  linear_store(a.c3, y, o + 3u, ob + 3u, act, add, res);
}

// This invocation's lane in its subgroup: the whole subgroup is active here.
fn sg_lane() -> u32 {
  return subgroupExclusiveAdd(1u);
}

// coop_linear's result for cin4 even and cout4 a multiple of 4. Each round, a lane computes the
// three rows sg_rows(round, lane) of its item (the variant's choice) 16 outputs at a time; a third
// is stored only where sg_third_row_stores says (the cooperative variant's last lanes have none).
fn sg_linear(x: u32, cin4: u32, w: u32, b: u32, cout4: u32, y: u32, act: u32, add: u32, res: u32) {
  let lane = sg_lane();
  for (var round = 0u; round < sg_row_rounds(); round++) {
    let rows = sg_rows(round, lane);
    let x0 = x + rows.x * cin4;
    let x1 = x + rows.y * cin4;
    let x2 = x + rows.z * cin4;
    for (var ob = 0u; ob < cout4; ob += 4u) {
      var a0 = quad_weights(b + ob);
      var a1 = a0;
      var a2 = a0;
      // 8 input channels per step: lane l fetches the weights of channel 4c + l.
      for (var c = 0u; c < cin4; c += 2u) {
        let mine = quad_weights(w + (4u * c + lane) * cout4 + ob);
        let x0a = s4(x0 + c);
        let x0b = s4(x0 + c + 1u);
        let x1a = s4(x1 + c);
        let x1b = s4(x1 + c + 1u);
        let x2a = s4(x2 + c);
        let x2b = s4(x2 + c + 1u);
        // Channel by channel with fma, the order of coop_linear (fma_channels): bit-identical.
        for (var k = 0u; k < 4u; k++) {
          let wk = quad_from_lane(mine, k);
          a0 = quad_fma(a0, x0a[k], wk);
          a1 = quad_fma(a1, x1a[k], wk);
          a2 = quad_fma(a2, x2a[k], wk);
        }
        for (var k = 0u; k < 4u; k++) {
          let wk = quad_from_lane(mine, k + 4u);
          a0 = quad_fma(a0, x0b[k], wk);
          a1 = quad_fma(a1, x1b[k], wk);
          a2 = quad_fma(a2, x2b[k], wk);
        }
      }
      quad_store(a0, y, rows.x * cout4 + ob, ob, act, add, res);
      quad_store(a1, y, rows.y * cout4 + ob, ob, act, add, res);
      if (sg_third_row_stores(lane)) {
        quad_store(a2, y, rows.z * cout4 + ob, ob, act, add, res);
      }
    }
  }
}

// Six output joints of one channel vec4 of a mix: lane l of the subgroup holds M[i0 + l, j].
struct Six { r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>, r4: vec4<f32>, r5: vec4<f32> }

fn six_fma(a: Six, mj: f32, xj: vec4<f32>) -> Six {
  return Six(fma(vec4<f32>(subgroupShuffle(mj, 0u)), xj, a.r0), fma(vec4<f32>(subgroupShuffle(mj, 1u)), xj, a.r1),
             fma(vec4<f32>(subgroupShuffle(mj, 2u)), xj, a.r2), fma(vec4<f32>(subgroupShuffle(mj, 3u)), xj, a.r3),
             fma(vec4<f32>(subgroupShuffle(mj, 4u)), xj, a.r4), fma(vec4<f32>(subgroupShuffle(mj, 5u)), xj, a.r5));
}

const SIX_ZERO = Six(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));

// Stores six output joints, `row_stride` vec4 apart, from vec4 `o` on.
fn six_store(a: Six, o: u32, row_stride: u32) {
  s4_set(o, a.r0);
  s4_set(o + row_stride, a.r1);
  s4_set(o + 2u * row_stride, a.r2);
  s4_set(o + 3u * row_stride, a.r3);
  s4_set(o + 4u * row_stride, a.r4);
  s4_set(o + 5u * row_stride, a.r5);
}

// coop_mix's result, 6 output joints at a time: lane l fetches M[i0 + l, j] (the last block's
// row 17 repeats row 16 into the padding row) and every lane takes all six. Which channel vec4s
// a lane mixes is the variant's (sg_mix_first_channel, SG_MIX_CHANNEL_STEP): all of its own item
// per invocation, every eighth of the one item cooperatively. The three-matrix mixes (Chebyshev,
// the network's most common) share each activation load over the three: loads cost per lane on
// CPU drivers, multiply-adds hardly (38% faster measured). Joint order and fma as coop_mix:
// bit-identical.
fn sg_mix(x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  if (p == 3u) {
    sg_mix_three(x, c4, mats, y);
  } else {
    for (var m = 0u; m < p; m++) { sg_mix_one(x, c4, mats, p, m, y); }
  }
}

fn sg_mix_three(x: u32, c4: u32, mats: u32, y: u32) {
  let lane = min(sg_lane(), 5u);
  let row_stride = 3u * c4;
  let mat = JOINTS * JOINTS;
  let first = sg_mix_first_channel();
  for (var k = 0u; k < c4 / SG_MIX_CHANNEL_STEP; k++) {
    let cb = k * SG_MIX_CHANNEL_STEP + first;
    for (var i0 = 0u; i0 < SG_ROWS; i0 += 6u) {
      let mine = mats + min(i0 + lane, JOINTS - 1u) * JOINTS;
      var a0 = SIX_ZERO;
      var a1 = SIX_ZERO;
      var a2 = SIX_ZERO;
      for (var j = 0u; j < params.joint_count; j++) {
        let xj = s4(x + j * c4 + cb);
        a0 = six_fma(a0, weight_scalar(mine + j), xj);
        a1 = six_fma(a1, weight_scalar(mine + mat + j), xj);
        a2 = six_fma(a2, weight_scalar(mine + 2u * mat + j), xj);
      }
      let o = y + i0 * row_stride + cb;
      six_store(a0, o, row_stride);
      six_store(a1, o + c4, row_stride);
      six_store(a2, o + 2u * c4, row_stride);
    }
  }
}

// Matrix m of p.
fn sg_mix_one(x: u32, c4: u32, mats: u32, p: u32, m: u32, y: u32) {
  let lane = min(sg_lane(), 5u);
  let row_stride = p * c4;
  let first = sg_mix_first_channel();
  for (var k = 0u; k < c4 / SG_MIX_CHANNEL_STEP; k++) {
    let cb = k * SG_MIX_CHANNEL_STEP + first;
    for (var i0 = 0u; i0 < SG_ROWS; i0 += 6u) {
      let mine = mats + (m * JOINTS + min(i0 + lane, JOINTS - 1u)) * JOINTS;
      var a = SIX_ZERO;
      for (var j = 0u; j < params.joint_count; j++) {
        a = six_fma(a, weight_scalar(mine + j), s4(x + j * c4 + cb));
      }
      six_store(a, y + i0 * row_stride + m * c4 + cb, row_stride);
    }
  }
}

// The interpreter's linear (both variants): the subgroup form where the shape allows.
fn op_linear(lid: u32, x: u32, cin4: u32, w: u32, b: u32, cout4: u32, y: u32, act: u32, add: u32, res: u32) {
  if (cin4 % 2u == 0u && cout4 % 4u == 0u) {
    sg_linear(x, cin4, w, b, cout4, y, act, add, res);
  } else {
    coop_linear(lid, x, cin4, w, b, cout4, y, act, add, res);
  }
}
