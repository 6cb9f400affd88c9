// Multi-head self-attention over the 17 joints of each item, without the projections
// (src/model/attention.ts): qkv [B, 17, 3d] holds Q | K | V; head h uses channels [h dk, (h+1) dk).
// out[b, i, h dk + c] = sum_j softmax_j(Q_i . K_j / sqrt(dk)) V[j, c].
// One invocation per (item, head, query joint); the 17 scores stay in registers.
// Composed with lib/dispatch.wgsl, lib/run.wgsl.
// JOINTS comes from the generated prelude (src/kernels/wgsl-constants.ts).

struct AttentionParams {
  d: u32,
  heads: u32,
}

@group(0) @binding(0) var<uniform> params: AttentionParams;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn attention(@builtin(workgroup_id) wg: vec3<u32>,
             @builtin(num_workgroups) num_wg: vec3<u32>,
             @builtin(local_invocation_index) local_index: u32) {
  let d = params.d;
  let heads = params.heads;
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.batch * heads * JOINTS) { return; }
  // The query joint varies fastest, so neighbouring invocations read the same K and V.
  let i = id % JOINTS;
  let h = (id / JOINTS) % heads;
  let item = id / (JOINTS * heads);
  let dk = d / heads;
  let row_stride = 3u * d;
  let item_base = item * JOINTS * row_stride + h * dk;
  let q = item_base + i * row_stride;
  let scale = 1.0 / sqrt(f32(dk));

  var scores: array<f32, JOINTS>;
  var top = -3.402823e38;
  for (var j = 0u; j < JOINTS; j++) {
    let k = item_base + j * row_stride + d;
    var s = 0.0;
    for (var c = 0u; c < dk; c++) { s = fma(qkv[q + c], qkv[k + c], s); }
    scores[j] = s * scale;
    top = max(top, scores[j]);
  }
  var total = 0.0;
  for (var j = 0u; j < JOINTS; j++) {
    scores[j] = exp(scores[j] - top);
    total += scores[j];
  }
  let inv_total = 1.0 / total;
  let o = (item * JOINTS + i) * d + h * dk;
  for (var c = 0u; c < dk; c++) {
    var acc = 0.0;
    for (var j = 0u; j < JOINTS; j++) {
      acc = fma(scores[j], qkv[item_base + j * row_stride + 2u * d + c], acc);
    }
    out[o + c] = acc * inv_total;
  }
}
