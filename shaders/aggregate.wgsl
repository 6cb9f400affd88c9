// Aggregates the final state x [poses * hypotheses, 17, 5] (xyz in channels 2..4) over the
// hypotheses (src/model/aggregate.ts): every hypothesis root-centred, their mean, and the per-joint
// spread sqrt(mean_h |x_h - mean|^2). One invocation per (pose, joint).
// Composed with lib/dispatch.wgsl, lib/run.wgsl.
// JOINTS comes from the generated prelude (src/kernels/wgsl-constants.ts).

@group(0) @binding(0) var<storage, read> x: array<f32>;
// [poses, 17, 3]
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;
// [poses, 17]
@group(0) @binding(2) var<storage, read_write> spread: array<f32>;
// [poses, hypotheses, 17, 3]
@group(0) @binding(3) var<storage, read_write> samples: array<f32>;

// Root-centred xyz of joint j of state item r.
fn centred_xyz(r: u32, j: u32) -> vec3<f32> {
  let o = (r * JOINTS + j) * 5u + 2u;
  let root = r * JOINTS * 5u + 2u;
  return vec3<f32>(x[o], x[o + 1u], x[o + 2u]) - vec3<f32>(x[root], x[root + 1u], x[root + 2u]);
}

@compute @workgroup_size(WG_SIZE)
fn aggregate(@builtin(workgroup_id) wg: vec3<u32>,
             @builtin(num_workgroups) num_wg: vec3<u32>,
             @builtin(local_invocation_index) local_index: u32) {
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.poses * JOINTS) { return; }
  let j = id % JOINTS;
  let n = id / JOINTS;
  let hyps = run.hypotheses;
  var sum = vec3<f32>(0.0);
  for (var h = 0u; h < hyps; h++) {
    let r = n * hyps + h;
    let v = centred_xyz(r, j);
    let s = (r * JOINTS + j) * 3u;
    samples[s] = v.x;
    samples[s + 1u] = v.y;
    samples[s + 2u] = v.z;
    sum += v;
  }
  let m = sum / f32(hyps);
  var sq = 0.0;
  for (var h = 0u; h < hyps; h++) {
    let dv = centred_xyz(n * hyps + h, j) - m;
    sq += dot(dv, dv);
  }
  mean[id * 3u] = m.x;
  mean[id * 3u + 1u] = m.y;
  mean[id * 3u + 2u] = m.z;
  spread[id] = sqrt(sq / f32(hyps));
}
