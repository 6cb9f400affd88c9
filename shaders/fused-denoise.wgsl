// Fused dispatch 2, cooperative variant: for every (pose, hypothesis), the start from the 2D
// mixture, then EVERY reverse step (the whole denoiser and the DDIM update) without leaving the
// workgroup; the state stays in the workgroup's scratch slot between steps and is written out once.
// Composed with lib/run.wgsl, lib/math.wgsl, lib/philox.wgsl, lib/joint5.wgsl, lib/gmm.wgsl,
// lib/ddim.wgsl and the fused libs (see src/kernels/fused.ts).

@compute @workgroup_size(WG_SIZE)
fn fused_denoise(@builtin(workgroup_id) wg: vec3<u32>,
                 @builtin(num_workgroups) num_wg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  use_cooperative_slot(wg.x, WG_SIZE);
  let phases = denoise_phases();
  var mine = 0u;
  if (wg.x < run.batch) { mine = (run.batch - wg.x + num_wg.x - 1u) / num_wg.x; }
  for (var pc = 0u; pc < mine * phases; pc++) {
    denoise_phase(lid, wg.x + (pc / phases) * num_wg.x, pc % phases);
    storageBarrier();
  }
}
