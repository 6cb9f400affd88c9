// Bindings of the fused lifter dispatch (both variants); weights and scratch come with the precision (fused/storage-f32|f16.wgsl).
@group(0) @binding(2) var<storage, read> features: array<vec4<f32>>;
// [poses, 17, 2] normalised uv.
@group(0) @binding(4) var<storage, read> uv: array<f32>;
// [poses, 17, 3] root-centred lifter output.
@group(0) @binding(5) var<storage, read_write> lifter_xyz: array<f32>;
// [poses, 17, 1, 5]: the mixtures derived from confidences, written with INPUT_PIXELS only; and
// after all mixtures, at params.sigma_at, a 4-output lifter's sigma [poses, 17].
@group(0) @binding(6) var<storage, read_write> gmm_out: array<f32>;
// [poses, 17] the joints' confidences with INPUT_UV (INPUT_PIXELS reads them from `uv`).
@group(0) @binding(8) var<storage, read> confidence: array<f32>;

override WG_SIZE: u32 = 64u;

// The lifter has no FiLM ops.
fn film_load(i: u32) -> vec4<f32> {
  return vec4<f32>(0.0);
}
