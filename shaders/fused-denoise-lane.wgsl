// Fused dispatch 2, per-invocation variant: each invocation runs the start and every reverse step
// of whole (pose, hypothesis) items alone, no barriers (the CPU-driver shape for batches).
// Composed like fused-denoise.wgsl.

@compute @workgroup_size(WG_SIZE)
fn fused_denoise_lane(@builtin(workgroup_id) wg: vec3<u32>,
                      @builtin(num_workgroups) num_wg: vec3<u32>,
                      @builtin(local_invocation_index) lid: u32) {
  let slots = num_wg.x * WG_SIZE;
  let slot = wg.x * WG_SIZE + lid;
  use_invocation_slot(slot, slots);
  let phases = denoise_phases();
  let rounds = group_rounds(wg.x * WG_SIZE, slots);
  for (var round = 0u; round < rounds; round++) {
    for (var phase = 0u; phase < phases; phase++) { denoise_phase(0u, slot + round * slots, phase); }
  }
}
