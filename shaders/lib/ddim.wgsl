// One DDIM update (model-spec §5), reusable by the per-op ddim_step kernel and a fused shader.
// Needs lib/philox.wgsl and lib/joint5.wgsl.

// The coefficients of one step, precomputed on the host in f64 (src/model/diffusion.ts).
struct DdimCoefficients {
  sqrt_a: f32,
  sqrt_one_minus_a: f32,
  sqrt_a_next: f32,
  c1: f32,
  c2: f32,
}

// x_next = sqrt(a') x0 + c1 z + c2 eps with x0 = (x - sqrt(1 - a) eps) / sqrt(a), per channel.
fn ddim_update4(x: vec4<f32>, eps: vec4<f32>, z: vec4<f32>, k: DdimCoefficients) -> vec4<f32> {
  let x0 = (x - k.sqrt_one_minus_a * eps) / k.sqrt_a;
  return k.sqrt_a_next * x0 + k.c1 * z + k.c2 * eps;
}

// The 5 normals z of (pose, hypothesis, joint) at schedule position `step`: channels 0..3
// from stream base + 2 step, channel 4 from the first normal of stream base + 2 step + 1.
fn ddim_noise(key: vec2<u32>, pose: u32, hypothesis: u32, joint: u32, step: u32) -> Joint5 {
  let stream = RNG_STREAM_DDIM_BASE + 2u * step;
  let z0 = normals4(rng_block(key, pose, hypothesis, joint, stream));
  let z1 = normals4(rng_block(key, pose, hypothesis, joint, stream + 1u));
  return Joint5(z0, z1.x);
}

// The whole update of one joint; the noise is drawn only when the step is stochastic (c1 > 0).
fn ddim_step_joint(x: Joint5, eps: Joint5, k: DdimCoefficients, key: vec2<u32>,
                   pose: u32, hypothesis: u32, joint: u32, step: u32) -> Joint5 {
  var z = Joint5(vec4<f32>(0.0), 0.0);
  if (k.c1 > 0.0) {
    z = ddim_noise(key, pose, hypothesis, joint, step);
  }
  let lo = ddim_update4(x.uvxy, eps.uvxy, z.uvxy, k);
  let hi = ddim_update4(vec4<f32>(x.z), vec4<f32>(eps.z), vec4<f32>(z.z), k);
  return Joint5(lo, hi.x);
}
