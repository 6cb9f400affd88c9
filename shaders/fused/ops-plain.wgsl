// The linear and mixing ops of the network interpreter (fused/network.wgsl) as coop-ops.wgsl
// writes them: for the cooperative variant, and for the per-invocation variant on adapters
// without fitting subgroups (fused/ops-subgroup.wgsl is the other choice).

fn op_linear(lid: u32, x: u32, cin4: u32, w: u32, b: u32, cout4: u32, y: u32, act: u32, add: u32, res: u32) {
  coop_linear(lid, x, cin4, w, b, cout4, y, act, add, res);
}

fn op_mix(lid: u32, x: u32, c4: u32, mats: u32, p: u32, y: u32) {
  coop_mix(lid, x, c4, mats, p, y);
}
