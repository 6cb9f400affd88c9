// Mixes the 17 joints of each item with P fixed 17x17 matrices (src/model/graph-mix.ts):
// x [B, 17, C] -> y [B, 17, P*C], y[b, i, p*C + c] = sum_j M_p[i, j] x[b, j, c].
// One invocation per (item, channel): it keeps the channel's 17 joint values in registers and
// writes all 17 * P outputs.
// Composed with lib/dispatch.wgsl, lib/run.wgsl.
// JOINTS comes from the generated prelude (src/kernels/wgsl-constants.ts).

struct GraphMixParams {
  channels: u32,
  mats: u32,
}

@group(0) @binding(0) var<uniform> params: GraphMixParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mats: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn graph_mix(@builtin(workgroup_id) wg: vec3<u32>,
             @builtin(num_workgroups) num_wg: vec3<u32>,
             @builtin(local_invocation_index) local_index: u32) {
  let channels = params.channels;
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.batch * channels) { return; }
  let c = id % channels;
  let item = id / channels;
  var xj: array<f32, JOINTS>;
  for (var j = 0u; j < JOINTS; j++) {
    xj[j] = x[(item * JOINTS + j) * channels + c];
  }
  let out_stride = params.mats * channels;
  for (var p = 0u; p < params.mats; p++) {
    for (var i = 0u; i < JOINTS; i++) {
      let m = (p * JOINTS + i) * JOINTS;
      var acc = 0.0;
      for (var j = 0u; j < JOINTS; j++) {
        acc = fma(mats[m + j], xj[j], acc);
      }
      y[(item * JOINTS + i) * out_stride + p * channels + c] = acc;
    }
  }
}
