// The starting point x_K of the reverse process from per-joint 2D Gaussian mixtures
// (src/model/gmm-init.ts), reusable by the gmm_init kernel and a fused shader.
// Needs lib/philox.wgsl, lib/joint5.wgsl, and one function of the including shader:
//   fn gmm_load(index: u32) -> f32
// reading the packed mixtures [poses, 17, components, GMM_STRIDE]. (WGSL cannot pass a
// storage buffer to a function portably, so the buffer stays the includer's.)

// From the generated prelude: GMM_STRIDE, values per mixture component (weight, mean u, mean v,
// std u, std v, uv units), and the init modes INIT_OFFICIAL (uv = mean of the heaviest component,
// xyz = lifter, no noise) and INIT_PAPER (component drawn by weight, uv sampled, forward-diffused).

// The component with the largest weight (the first one on ties).
fn gmm_heaviest(base: u32, components: u32) -> u32 {
  var k = 0u;
  for (var c = 1u; c < components; c++) {
    if (gmm_load(base + c * GMM_STRIDE) > gmm_load(base + k * GMM_STRIDE)) { k = c; }
  }
  return k;
}

// The component whose cumulative weight first reaches u * total, u in (0, 1].
fn gmm_draw(base: u32, components: u32, u: f32) -> u32 {
  var total = 0.0;
  for (var c = 0u; c < components; c++) { total += gmm_load(base + c * GMM_STRIDE); }
  var cum = 0.0;
  for (var c = 0u; c < components; c++) {
    cum += gmm_load(base + c * GMM_STRIDE);
    if (u * total <= cum) { return c; }
  }
  return components - 1u;
}

// The paper init's standard normals of one (pose, hypothesis, joint): uv.xy place uv inside the
// component, uv.zw and xyz.xyz are the forward noise. With two or more hypotheses each channel's
// draws over the pose's hypotheses are centred and scaled to unit sample std (moment matching,
// src/model/gmm-init.ts initNormals): the loop over the hypotheses runs to a uniform count.
struct InitNormals {
  uv: vec4<f32>,
  xyz: vec4<f32>,
}

fn init_normals(key: vec2<u32>, pose: u32, hypothesis: u32, joint: u32, hypotheses: u32) -> InitNormals {
  let own_uv = normals4(rng_block(key, pose, hypothesis, joint, RNG_STREAM_INIT_UV));
  let own_xyz = normals4(rng_block(key, pose, hypothesis, joint, RNG_STREAM_INIT_XYZ));
  if (hypotheses < 2u) { return InitNormals(own_uv, own_xyz); }
  // Sums of the draws' offsets from this hypothesis' own draw: one pass without the cancellation
  // of sum(d^2) - H mean^2 when the draws are close together.
  var sum_uv = vec4<f32>(0.0);
  var sq_uv = vec4<f32>(0.0);
  var sum_xyz = vec4<f32>(0.0);
  var sq_xyz = vec4<f32>(0.0);
  for (var h = 0u; h < hypotheses; h++) {
    let d_uv = normals4(rng_block(key, pose, h, joint, RNG_STREAM_INIT_UV)) - own_uv;
    let d_xyz = normals4(rng_block(key, pose, h, joint, RNG_STREAM_INIT_XYZ)) - own_xyz;
    sum_uv += d_uv;
    sq_uv += d_uv * d_uv;
    sum_xyz += d_xyz;
    sq_xyz += d_xyz * d_xyz;
  }
  let inv = 1.0 / f32(hypotheses);
  let mean_uv = sum_uv * inv;
  let mean_xyz = sum_xyz * inv;
  // The variance's floor is gmm-init.ts's MIN_MATCHED_VARIANCE.
  let sd_uv = sqrt(max(sq_uv * inv - mean_uv * mean_uv, vec4<f32>(1e-12)));
  let sd_xyz = sqrt(max(sq_xyz * inv - mean_xyz * mean_xyz, vec4<f32>(1e-12)));
  return InitNormals(-mean_uv / sd_uv, -mean_xyz / sd_xyz);
}

// x_K of one (pose, hypothesis, joint) of `hypotheses`; `base` indexes the joint's first
// component. xyz_std: the xyz channels' noise std, sqrt_one_minus_a or a 4-output lifter's sigma
// of the joint.
fn gmm_init_joint(base: u32, components: u32, mode: u32, lifter_xyz: vec3<f32>,
                  sqrt_a: f32, sqrt_one_minus_a: f32, xyz_std: f32,
                  key: vec2<u32>, pose: u32, hypothesis: u32, hypotheses: u32, joint: u32) -> Joint5 {
  var k: u32;
  if (mode == INIT_OFFICIAL) {
    k = gmm_heaviest(base, components);
  } else {
    let u = unit_open0(rng_block(key, pose, hypothesis, joint, RNG_STREAM_COMPONENT).x);
    k = gmm_draw(base, components, u);
  }
  let comp = base + k * GMM_STRIDE;
  let mean = vec2<f32>(gmm_load(comp + 1u), gmm_load(comp + 2u));
  if (mode == INIT_OFFICIAL) {
    return Joint5(vec4<f32>(mean, lifter_xyz.xy), lifter_xyz.z);
  }
  let sigma = vec2<f32>(gmm_load(comp + 3u), gmm_load(comp + 4u));
  let normals = init_normals(key, pose, hypothesis, joint, hypotheses);
  let n_uv = normals.uv;
  let n_xyz = normals.xyz;
  let x = vec4<f32>(mean + sigma * n_uv.xy, lifter_xyz.xy);
  // The forward noise is scaled per joint by [su, sv, 1, 1, 1] (model-spec §5); xyz's by xyz_std
  // instead of sqrt(1 - a) (the same value unless the lifter predicts its error).
  let uv = sqrt_a * x.xy + sqrt_one_minus_a * (n_uv.zw * sigma);
  let xy = sqrt_a * x.zw + xyz_std * n_xyz.xy;
  return Joint5(vec4<f32>(uv, xy), sqrt_a * lifter_xyz.z + xyz_std * n_xyz.z);
}
