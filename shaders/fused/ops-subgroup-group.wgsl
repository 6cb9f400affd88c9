// The cooperative variant's subgroup linear (fused/ops-subgroup.wgsl), one workgroup of 8 lanes
// per item: lane l computes rows l, l + 8 and l + 16 in one round; the mixing splits the
// channels. One pose is load-bound on the one thread llvmpipe runs a workgroup on, and this
// shares each weight load over the 8 lanes. Norm and attention stay cooperative (coop-ops.wgsl).

// Rows l, l + 8 and l + 16: only lane 0's third row is a joint (16); the others compute a
// padding row (clamped into the 20) and drop it.
fn sg_row_rounds() -> u32 { return 1u; }
fn sg_rows(round: u32, lane: u32) -> vec3<u32> { return vec3<u32>(lane, lane + SG_LANES, min(lane + 2u * SG_LANES, ROWS - 1u)); }
fn sg_third_row_stores(lane: u32) -> bool { return lane + 2u * SG_LANES < JOINTS; }

// Mixing: lane l takes channel vec4s l, l + 8, ... of the item (the shuffles need every lane, so
// only when the channel count splits evenly: not the 2- and 5-channel input layers).
const SG_MIX_CHANNEL_STEP: u32 = SG_LANES;
fn sg_mix_first_channel() -> u32 { return sg_lane(); }

fn op_mix(lid: u32, x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  if (c4 % SG_MIX_CHANNEL_STEP == 0u) {
    sg_mix(x, c4, mats, p, y);
  } else {
    coop_mix(lid, x, c4, mats, p, y);
  }
}
