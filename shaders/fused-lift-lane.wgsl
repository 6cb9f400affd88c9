// Fused dispatch 1, per-invocation variant: each invocation lifts whole poses alone in its own
// (interleaved) scratch slot, with no barriers: the shape CPU drivers run fastest on batches.
// Composed with lib/run.wgsl and the fused libs (see src/kernels/fused.ts).

@compute @workgroup_size(WG_SIZE)
fn fused_lift_lane(@builtin(workgroup_id) wg: vec3<u32>,
                   @builtin(num_workgroups) num_wg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let slots = num_wg.x * WG_SIZE;
  let slot = wg.x * WG_SIZE + lid;
  use_invocation_slot(slot, slots);
  let phases = lift_phases();
  let rounds = group_rounds(wg.x * WG_SIZE, slots);
  for (var round = 0u; round < rounds; round++) {
    for (var phase = 0u; phase < phases; phase++) { lift_phase(0u, slot + round * slots, phase); }
  }
}
