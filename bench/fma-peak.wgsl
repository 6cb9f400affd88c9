// Peak f32 arithmetic of the adapter, for bench/peak-flops.ts: every benchmark number is
// reported as a fraction of it. One invocation per work item (run.batch items), each running
// params.iterations loop trips of 4 steps acc = fma(acc, a, b) on four independent vec4 chains:
// independent FMAs to issue while one waits on its latency, and few enough live values for 16
// vector registers (eight chains spilled on lavapipe and measured 42 GFLOP/s against 67). The loop count comes from
// the uniform so the compiler cannot fold or fully unroll it, and the accumulators' sum is stored
// so the loop is not dead code. With 0 <= a < 1 the chains converge to b / (1 - a): no
// overflow, no denormals, whatever the loop count. CPU reference: fma-peak.ref.ts.
// Composed with lib/dispatch.wgsl, lib/run.wgsl.

struct FmaPeakParams {
  iterations: u32,
  a: f32,
  b: f32,
}

@group(0) @binding(0) var<uniform> params: FmaPeakParams;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn fma_peak(@builtin(workgroup_id) wg: vec3<u32>,
            @builtin(num_workgroups) num_wg: vec3<u32>,
            @builtin(local_invocation_index) local_index: u32) {
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.batch) { return; }
  // Start values (id % 64) / 64 + lane / 32 for lanes 0..15: multiples of 1/64 below 2, exact in
  // f32 however they are computed, so the reference starts from the same bits. Powers-of-two
  // products instead of divisions, whose WGSL accuracy is only 2.5 ulp.
  let start = vec4<f32>(f32(id % 64u) * 0.015625) + vec4<f32>(0.0, 1.0, 2.0, 3.0) * 0.03125;
  var acc0 = start;
  var acc1 = start + 0.125;
  var acc2 = start + 0.25;
  var acc3 = start + 0.375;
  let a = vec4<f32>(params.a);
  let b = vec4<f32>(params.b);
  for (var i = 0u; i < params.iterations; i++) {
    // A constant trip count: the compiler unrolls it into 16 independent-chain FMAs per trip.
    for (var step = 0u; step < 4u; step++) {
      acc0 = fma(acc0, a, b);
      acc1 = fma(acc1, a, b);
      acc2 = fma(acc2, a, b);
      acc3 = fma(acc3, a, b);
    }
  }
  let s = (acc0 + acc1) + (acc2 + acc3);
  sums[id] = (s.x + s.y) + (s.z + s.w);
}
