// The uniform of the fused kernels: the slot layout, the two networks' tables of weight offsets
// (written once at plan time) and the reverse schedule (rewritten only when a call's settings
// change), packed by src/schedule/fused-params.ts. Its sizes and the table layout (TABLE_U32_PER_NET,
// LIFTER_TABLE, DENOISER_TABLE, TABLE_VEC4S, MAX_FUSED_STEPS, STEP_VEC4S) come from the generated prelude.

struct FusedParams {
  // vec4s of scratch per workgroup slot.
  slot4: u32,
  // vec4s between consecutive (t, layer) rows of `features`.
  feat_stride4: u32,
  num_steps: u32,
  components: u32,
  init_mode: u32,
  denoiser_layers: u32,
  // INPUT_UV: `uv` holds normalised uv [poses, 17, 2] and the host wrote the mixtures;
  // INPUT_PIXELS: `uv` is a caller's [poses, 17, 3] buffer of (x, y, confidence) in pixels, and
  // the lifter dispatch normalises it and writes the default one-component mixtures.
  input_kind: u32,
  // Always 17. Inner loops run to this uniform value instead of the constant JOINTS so that
  // LLVM-based CPU drivers do not unroll them: unrolled, the fused shaders took twice as long
  // to JIT on lavapipe.
  joint_count: u32,
  sqrt_a0: f32,
  sqrt_one_minus_a0: f32,
  image_width: f32,
  image_height: f32,
  // Where a 4-output lifter's sigma [poses, 17] goes in the mixtures' buffer (f32 index, after
  // them): written by the lifter dispatch, read as each joint's xyz noise std in the paper init and
  // by the aggregation's radius90 with one hypothesis. 0: the lifter has none.
  sigma_at: u32,
  // Network tables (u32): see networkTable() in src/schedule/fused-params.ts.
  table: array<vec4<u32>, TABLE_VEC4S>,
  // Per step s: steps[2s] = (t, sqrt_a, sqrt_one_minus_a, sqrt_a_next), steps[2s + 1] = (c1, c2, 0, 0).
  steps: array<vec4<f32>, STEP_VEC4S>,
  // Per joint, the factor on the paper init's xyz noise std (the model's diffusion.xyzNoiseGain;
  // ones for none).
  xyz_gain: array<vec4<f32>, JOINT_VEC4S>,
}

@group(0) @binding(0) var<uniform> params: FusedParams;

fn tab(i: u32) -> u32 {
  return params.table[i / 4u][i % 4u];
}

fn xyz_noise_gain(joint: u32) -> f32 {
  return params.xyz_gain[joint / 4u][joint % 4u];
}
