// The starting point x_K [poses * hypotheses, 17, 5] of the reverse process (src/model/gmm-init.ts),
// hypothesis-minor. One invocation per (pose, hypothesis, joint).
// Composed with lib/dispatch.wgsl, lib/run.wgsl, lib/math.wgsl, lib/philox.wgsl, lib/joint5.wgsl, lib/gmm.wgsl.
// JOINTS comes from the generated prelude (src/kernels/wgsl-constants.ts).

struct GmmInitParams {
  components: u32,
  mode: u32,
  sqrt_a: f32,
  sqrt_one_minus_a: f32,
  // Where a 4-output lifter's sigma [poses, 17] sits in `lifter_xyz` (f32 index): each joint's xyz
  // noise std; 0: none, the std is sqrt_one_minus_a.
  sigma_at: u32,
}

@group(0) @binding(0) var<uniform> params: GmmInitParams;
// [poses, 17, components, GMM_STRIDE]
@group(0) @binding(1) var<storage, read> gmm: array<f32>;
// [poses, 17, 3]: the lifter's root-centred output (and its sigma at params.sigma_at).
@group(0) @binding(2) var<storage, read> lifter_xyz: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
// [17] per-joint factors on the xyz noise std (the model's diffusion.xyzNoiseGain; ones for none).
@group(0) @binding(4) var<storage, read> xyz_gain: array<f32>;

fn gmm_load(index: u32) -> f32 {
  return gmm[index];
}

@compute @workgroup_size(WG_SIZE)
fn gmm_init(@builtin(workgroup_id) wg: vec3<u32>,
            @builtin(num_workgroups) num_wg: vec3<u32>,
            @builtin(local_invocation_index) local_index: u32) {
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.poses * run.hypotheses * JOINTS) { return; }
  let j = id % JOINTS;
  let h = (id / JOINTS) % run.hypotheses;
  let n = id / (JOINTS * run.hypotheses);
  let pose_joint = n * JOINTS + j;
  let xyz = vec3<f32>(lifter_xyz[pose_joint * 3u], lifter_xyz[pose_joint * 3u + 1u], lifter_xyz[pose_joint * 3u + 2u]);
  var xyz_std = params.sqrt_one_minus_a;
  if (params.sigma_at > 0u) { xyz_std = lifter_xyz[params.sigma_at + pose_joint]; }
  let s = gmm_init_joint(pose_joint * params.components * GMM_STRIDE, params.components, params.mode, xyz,
                         params.sqrt_a, params.sqrt_one_minus_a, xyz_std * xyz_gain[j], run.key, run.pose_offset + n, h, run.hypotheses, j);
  // id = (n * hypotheses + h) * 17 + j: the joint's index in the state.
  let o = id * 5u;
  x[o] = s.uvxy.x;
  x[o + 1u] = s.uvxy.y;
  x[o + 2u] = s.uvxy.z;
  x[o + 3u] = s.uvxy.w;
  x[o + 4u] = s.z;
}
