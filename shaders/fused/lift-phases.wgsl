// The phases of lifting one pose: load its uv, every op of the lifter, write the root-centred
// output. Shared by the cooperative and per-invocation lifter entry points. Needs the bindings
// `uv` and `lifter_xyz` and the fused libs.

fn lift_phases() -> u32 {
  return net_ops(LIFTER_TABLE) + 2u;
}

fn lift_phase(lane: u32, pose: u32, phase: u32) {
  let xin = net_xin(LIFTER_TABLE);
  let xout = net_xout(LIFTER_TABLE);
  let ops = net_ops(LIFTER_TABLE);
  if (phase == 0u) {
    for (var j = lane; j < JOINTS; j += lanes) {
      let i = (pose * JOINTS + j) * 2u;
      scratch[slot_index(xin + j)] = vec4<f32>(uv[i], uv[i + 1u], 0.0, 0.0);
    }
  } else if (phase <= ops) {
    run_op(lane, LIFTER_TABLE, NONE, phase - 1u);
  } else {
    let root = scratch[slot_index(xout)].xyz;
    for (var j = lane; j < JOINTS; j += lanes) {
      let p = scratch[slot_index(xout + j)].xyz - root;
      let o = (pose * JOINTS + j) * 3u;
      lifter_xyz[o] = p.x;
      lifter_xyz[o + 1u] = p.y;
      lifter_xyz[o + 2u] = p.z;
    }
  }
}
