// The cooperative variant's subgroup linear (fused/ops-subgroup.wgsl), one workgroup of 8 lanes
// per item: lane l computes row block l (rows 2l, 2l + 1), then every lane computes the ninth
// block (rows 16, 17: the shuffles need all lanes) and lane 0 stores it. One pose is load-bound
// on the one thread llvmpipe runs a workgroup on, and this shares each weight load over the 8
// lanes. The other ops stay cooperative (coop-ops.wgsl).

fn sg_row_rounds() -> u32 { return 2u; }
fn sg_row_block(round: u32, lane: u32) -> u32 { return select(SG_ROW_BLOCKS - 1u, lane, round == 0u); }
fn sg_row_stores(round: u32, lane: u32) -> bool { return round == 0u || lane == 0u; }

fn op_mix(lid: u32, x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  coop_mix(lid, x, c4, mats, p, y);
}
