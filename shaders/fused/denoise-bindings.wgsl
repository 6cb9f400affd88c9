// Bindings of the fused denoising dispatch (both variants); weights and scratch come with the precision (fused/storage-f32|f16.wgsl).
@group(0) @binding(2) var<storage, read> features: array<vec4<f32>>;
// [poses, 17, components, GMM_STRIDE]
@group(0) @binding(4) var<storage, read> gmm: array<f32>;
// [poses, 17, 3]
@group(0) @binding(5) var<storage, read> lifter_xyz: array<f32>;
// [poses * hypotheses, 17, 5]: x_{-1}, for the aggregation.
@group(0) @binding(6) var<storage, read_write> state: array<f32>;

// [poses, layers, 2, d] FiLM of the temporal denoiser (a placeholder for the frame model, which has no FiLM ops).
@group(0) @binding(8) var<storage, read> film: array<vec4<f32>>;

override WG_SIZE: u32 = 64u;

fn film_load(i: u32) -> vec4<f32> {
  return film[i];
}

fn gmm_load(index: u32) -> f32 {
  return gmm[index];
}
