// e(t) = [sin(t f_k) for k < d/2, cos(t f_k) for k < d/2] for one step t (src/model/step-embedding.ts),
// the input of the step-embedding MLP. One invocation per frequency; no batch.
// Composed with lib/dispatch.wgsl, lib/math.wgsl, lib/step-embedding.wgsl.

struct StepEmbeddingParams {
  // The diffusion step (an integer, exact in f32).
  t: f32,
  // Embedding length (even).
  d: u32,
  // ln(10000) / (d/2 - 1), rounded to f32 on the host.
  freq_step: f32,
}

@group(0) @binding(0) var<uniform> params: StepEmbeddingParams;
@group(0) @binding(1) var<storage, read_write> embedding: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn step_embedding(@builtin(workgroup_id) wg: vec3<u32>,
                  @builtin(num_workgroups) num_wg: vec3<u32>,
                  @builtin(local_invocation_index) local_index: u32) {
  let half = params.d / 2u;
  let k = invocation_index(wg, num_wg, local_index);
  if (k >= half) { return; }
  let sc = step_embedding_pair(params.t, k, params.freq_step);
  embedding[k] = sc.x;
  embedding[half + k] = sc.y;
}
