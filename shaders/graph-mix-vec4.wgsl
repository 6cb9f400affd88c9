// graph-mix.wgsl for C a multiple of 4: one invocation per (item, 4 channels), so each load of
// a matrix entry feeds 4 FMAs. The same parameters; x and y bound as vec4 arrays.
// Composed with lib/dispatch.wgsl, lib/run.wgsl.
// JOINTS comes from the generated prelude (src/kernels/wgsl-constants.ts).

struct GraphMixParams {
  channels: u32,
  mats: u32,
}

@group(0) @binding(0) var<uniform> params: GraphMixParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> mats: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG_SIZE)
fn graph_mix_vec4(@builtin(workgroup_id) wg: vec3<u32>,
                  @builtin(num_workgroups) num_wg: vec3<u32>,
                  @builtin(local_invocation_index) local_index: u32) {
  let c4s = params.channels / 4u;
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.batch * c4s) { return; }
  let c4 = id % c4s;
  let item = id / c4s;
  var xj: array<vec4<f32>, JOINTS>;
  for (var j = 0u; j < JOINTS; j++) {
    xj[j] = x[(item * JOINTS + j) * c4s + c4];
  }
  let out_stride = params.mats * c4s;
  for (var p = 0u; p < params.mats; p++) {
    for (var i = 0u; i < JOINTS; i++) {
      let m = (p * JOINTS + i) * JOINTS;
      var acc = vec4<f32>(0.0);
      for (var j = 0u; j < JOINTS; j++) {
        acc = fma(vec4<f32>(mats[m + j]), xj[j], acc);
      }
      y[(item * JOINTS + i) * out_stride + p * c4s + c4] = acc;
    }
  }
}
