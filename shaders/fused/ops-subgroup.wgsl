// The subgroup forms of the linear and mixing ops of the network interpreter (fused/network.wgsl)
// for CPU drivers whose subgroups are exactly 8 lanes, in workgroups of 8 invocations (llvmpipe at
// 256-bit vectors). The lanes need the same weights: per-invocation, each lane is one item;
// cooperative, each lane takes other rows of the workgroup's item. The variant's file
// (fused/ops-subgroup-lane.wgsl or -group.wgsl) says which rows a lane computes and defines
// op_mix. llvmpipe turns every storage load whose address is not a compile-time uniform into a
// loop over the lanes (about 4.5 cycles per lane and component, against ~0.1 for a multiply-add),
// and a weight load inside a loop is never such a uniform. So here each lane loads a different
// weight row (1/8 of a block) and the rows go to every lane by subgroupShuffle, which is cheap
// register shuffling; a block of 2 rows x 16 outputs then reuses each loaded activation 16
// times. Measured on a linear 64 -> 64: 2.4x the multiply-adds per second of coop_linear.
// Needs the whole control flow above uniform (the per-invocation entry points loop over rounds
// of items, not over a lane's own items) and coop-ops.wgsl for the shapes these do not cover.
// The 2-row blocks: 17 joints + padding row 17 = 9 blocks.
enable subgroups;

// The 17 joints rounded up to whole 2-row blocks of sg_linear and 6-row blocks of sg_mix; row 17
// is a padding row (fused/coop-ops.wgsl).
const SG_ROWS: u32 = 18u;
const SG_ROW_BLOCKS: u32 = SG_ROWS / 2u;

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

// coop_linear's result for cin4 even and cout4 a multiple of 4, per invocation.
fn sg_linear(x: u32, cin4: u32, w: u32, b: u32, cout4: u32, y: u32, act: u32, add: u32, res: u32) {
  let lane = sg_lane();
  for (var round = 0u; round < sg_row_rounds(); round++) {
    let r0 = 2u * sg_row_block(round, lane);
    let x0 = x + r0 * cin4;
    let x1 = x0 + cin4;
    for (var ob = 0u; ob < cout4; ob += 4u) {
      var a0 = quad_weights(b + ob);
      var a1 = a0;
      // 8 input channels per step: lane l fetches the weights of channel 4c + l.
      for (var c = 0u; c < cin4; c += 2u) {
        let mine = quad_weights(w + (4u * c + lane) * cout4 + ob);
        let x0a = s4(x0 + c);
        let x0b = s4(x0 + c + 1u);
        let x1a = s4(x1 + c);
        let x1b = s4(x1 + c + 1u);
        // Channel by channel with fma, the order of coop_linear (fma_channels): bit-identical.
        for (var k = 0u; k < 4u; k++) {
          let wk = quad_from_lane(mine, k);
          a0 = quad_fma(a0, x0a[k], wk);
          a1 = quad_fma(a1, x1a[k], wk);
        }
        for (var k = 0u; k < 4u; k++) {
          let wk = quad_from_lane(mine, k + 4u);
          a0 = quad_fma(a0, x0b[k], wk);
          a1 = quad_fma(a1, x1b[k], wk);
        }
      }
      if (sg_row_stores(round, lane)) {
        quad_store(a0, y, r0 * cout4 + ob, ob, act, add, res);
        quad_store(a1, y, (r0 + 1u) * cout4 + ob, ob, act, add, res);
      }
    }
  }
}

// coop_mix's result per invocation, 6 output joints at a time: lane l fetches M[i0 + l, j] (the
// last block's row 17 repeats row 16 into the padding row) and every lane takes all six.
fn sg_mix(x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  let lane = min(sg_lane(), 5u);
  let row_stride = p * c4;
  for (var m = 0u; m < p; m++) {
    for (var cb = 0u; cb < c4; cb++) {
      for (var i0 = 0u; i0 < SG_ROWS; i0 += 6u) {
        let mine = mats + (m * JOINTS + min(i0 + lane, JOINTS - 1u)) * JOINTS;
        var a0 = vec4<f32>(0.0);
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        var a4 = a0;
        var a5 = a0;
        for (var j = 0u; j < params.joint_count; j++) {
          let mj = weight_scalar(mine + j);
          let xj = s4(x + j * c4 + cb);
          a0 = fma(vec4<f32>(subgroupShuffle(mj, 0u)), xj, a0);
          a1 = fma(vec4<f32>(subgroupShuffle(mj, 1u)), xj, a1);
          a2 = fma(vec4<f32>(subgroupShuffle(mj, 2u)), xj, a2);
          a3 = fma(vec4<f32>(subgroupShuffle(mj, 3u)), xj, a3);
          a4 = fma(vec4<f32>(subgroupShuffle(mj, 4u)), xj, a4);
          a5 = fma(vec4<f32>(subgroupShuffle(mj, 5u)), xj, a5);
        }
        let o = y + i0 * row_stride + m * c4 + cb;
        s4_set(o, a0);
        s4_set(o + row_stride, a1);
        s4_set(o + 2u * row_stride, a2);
        s4_set(o + 3u * row_stride, a3);
        s4_set(o + 4u * row_stride, a4);
        s4_set(o + 5u * row_stride, a5);
      }
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
