// Takes channels [offset, offset + 3) of x [B, 17, C] and subtracts joint 0 (src/model/root-center.ts):
// -> [B, 17, 3]. With sigma_at > 0, channel offset + 3 (a 4-output lifter's log sigma) goes out
// as sigma = exp(.) at xyz[sigma_at + (item, joint)] (src/model/lifter-output.ts). One invocation
// per (item, joint).
// Composed with lib/dispatch.wgsl, lib/run.wgsl.
// JOINTS comes from the generated prelude (src/kernels/wgsl-constants.ts).

struct RootCenterParams {
  channels: u32,
  offset: u32,
  sigma_at: u32,
}

@group(0) @binding(0) var<uniform> params: RootCenterParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> xyz: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn root_center(@builtin(workgroup_id) wg: vec3<u32>,
               @builtin(num_workgroups) num_wg: vec3<u32>,
               @builtin(local_invocation_index) local_index: u32) {
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.batch * JOINTS) { return; }
  let root = (id - id % JOINTS) * params.channels + params.offset;
  let joint = id * params.channels + params.offset;
  for (var c = 0u; c < 3u; c++) {
    xyz[id * 3u + c] = x[joint + c] - x[root + c];
  }
  if (params.sigma_at > 0u) { xyz[params.sigma_at + id] = exp(x[joint + 3u]); }
}
