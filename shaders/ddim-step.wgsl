// One DDIM update of the state x [poses * hypotheses, 17, 5] IN PLACE, given the predicted
// noise eps of the same shape (src/model/ddim-step.ts). One invocation per (pose, hypothesis, joint).
// Composed with lib/dispatch.wgsl, lib/run.wgsl, lib/math.wgsl, lib/philox.wgsl, lib/joint5.wgsl, lib/ddim.wgsl.
// JOINTS comes from the generated prelude (src/kernels/wgsl-constants.ts).

struct DdimStepParams {
  sqrt_a: f32,
  sqrt_one_minus_a: f32,
  sqrt_a_next: f32,
  c1: f32,
  c2: f32,
  // Position of this step in the schedule (selects its RNG streams).
  step_index: u32,
}

@group(0) @binding(0) var<uniform> params: DdimStepParams;
@group(0) @binding(1) var<storage, read> eps: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

fn load_joint5_eps(o: u32) -> Joint5 {
  return Joint5(vec4<f32>(eps[o], eps[o + 1u], eps[o + 2u], eps[o + 3u]), eps[o + 4u]);
}

fn load_joint5_x(o: u32) -> Joint5 {
  return Joint5(vec4<f32>(x[o], x[o + 1u], x[o + 2u], x[o + 3u]), x[o + 4u]);
}

@compute @workgroup_size(WG_SIZE)
fn ddim_step(@builtin(workgroup_id) wg: vec3<u32>,
             @builtin(num_workgroups) num_wg: vec3<u32>,
             @builtin(local_invocation_index) local_index: u32) {
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.poses * run.hypotheses * JOINTS) { return; }
  let j = id % JOINTS;
  let h = (id / JOINTS) % run.hypotheses;
  let n = id / (JOINTS * run.hypotheses);
  let k = DdimCoefficients(params.sqrt_a, params.sqrt_one_minus_a, params.sqrt_a_next, params.c1, params.c2);
  let o = id * 5u;
  let s = ddim_step_joint(load_joint5_x(o), load_joint5_eps(o), k, run.key, run.pose_offset + n, h, j, params.step_index);
  x[o] = s.uvxy.x;
  x[o + 1u] = s.uvxy.y;
  x[o + 2u] = s.uvxy.z;
  x[o + 3u] = s.uvxy.w;
  x[o + 4u] = s.z;
}
