// The per-invocation variant's subgroup ops (fused/ops-subgroup.wgsl): each lane is one item and
// computes every row block of it.

fn sg_row_rounds() -> u32 { return SG_ROWS / 3u; }
fn sg_rows(round: u32, lane: u32) -> vec3<u32> { return 3u * round + vec3<u32>(0u, 1u, 2u); }
fn sg_third_row_stores(lane: u32) -> bool { return true; }

const SG_MIX_CHANNEL_STEP: u32 = 1u;
fn sg_mix_first_channel() -> u32 { return 0u; }

fn op_mix(lid: u32, x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  sg_mix(x, c4, mats, p, y);
}
