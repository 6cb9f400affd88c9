// Fused dispatch 1, cooperative variant: the lifter on every pose, one workgroup per pose at a
// time, each op split over the workgroup's invocations; workgroups loop over the poses in their
// own scratch slot. Composed with lib/run.wgsl and the fused libs (see src/kernels/fused.ts).

@compute @workgroup_size(WG_SIZE)
fn fused_lift(@builtin(workgroup_id) wg: vec3<u32>,
              @builtin(num_workgroups) num_wg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  use_cooperative_slot(wg.x, WG_SIZE);
  let phases = lift_phases();
  var mine = 0u;
  if (wg.x < run.batch) { mine = (run.batch - wg.x + num_wg.x - 1u) / num_wg.x; }
  // One flat loop over (pose, phase): barriers in nested loops compile very slowly on
  // LLVM-based CPU drivers (see fused/network.wgsl).
  for (var pc = 0u; pc < mine * phases; pc++) {
    lift_phase(lid, wg.x + (pc / phases) * num_wg.x, pc % phases);
    storageBarrier();
  }
}
