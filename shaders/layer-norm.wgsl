// DiffPose's LayerNorm (src/model/layer-norm.ts): y = a (x - mean) / (std + 1e-6) + b with the
// UNBIASED std over the channels and eps added to the std (not torch.nn.LayerNorm).
// One invocation per row of [batch * 17, C].
// Composed with lib/dispatch.wgsl, lib/run.wgsl.

struct LayerNormParams {
  channels: u32,
}

@group(0) @binding(0) var<uniform> params: LayerNormParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gain: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn layer_norm(@builtin(workgroup_id) wg: vec3<u32>,
              @builtin(num_workgroups) num_wg: vec3<u32>,
              @builtin(local_invocation_index) local_index: u32) {
  let channels = params.channels;
  let row = invocation_index(wg, num_wg, local_index);
  if (row >= run.batch * JOINTS) { return; }
  let base = row * channels;
  // Statistics of x - x[0] (shifted data): nearby values subtract exactly, so a large row mean
  // does not swamp the deviations in f32. Two passes, not a sum of squares, for the same reason.
  let k = x[base];
  var sum = 0.0;
  for (var c = 0u; c < channels; c++) { sum += x[base + c] - k; }
  let mean = sum / f32(channels);
  var sq = 0.0;
  for (var c = 0u; c < channels; c++) {
    let d = (x[base + c] - k) - mean;
    sq = fma(d, d, sq);
  }
  let inv = 1.0 / (sqrt(sq / f32(channels - 1u)) + 1e-6);
  for (var c = 0u; c < channels; c++) {
    y[base + c] = fma(gain[c] * ((x[base + c] - k) - mean), inv, shift[c]);
  }
}
