// The per-invocation variant's subgroup ops (fused/ops-subgroup.wgsl): each lane is one item and
// computes every row block of it.

fn sg_row_rounds() -> u32 { return SG_ROW_BLOCKS; }
fn sg_row_block(round: u32, lane: u32) -> u32 { return round; }
fn sg_row_stores(round: u32, lane: u32) -> bool { return true; }

fn op_mix(lid: u32, x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  sg_mix(x, c4, mats, p, y);
}
