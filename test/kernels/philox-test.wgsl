// Test-only: Philox blocks, unit_open0 and normals4 of a list of counters under run.key, so a
// test can compare lib/philox.wgsl with src/model/philox.ts bit for bit. One invocation per counter
// (run.batch counters).
// Composed with lib/dispatch.wgsl, lib/run.wgsl, lib/math.wgsl, lib/philox.wgsl.

@group(0) @binding(0) var<storage, read> counters: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> bits: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> units: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> normals: array<vec4<f32>>;

@compute @workgroup_size(WG_SIZE)
fn philox_test(@builtin(workgroup_id) wg: vec3<u32>,
               @builtin(num_workgroups) num_wg: vec3<u32>,
               @builtin(local_invocation_index) local_index: u32) {
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= run.batch) { return; }
  let b = philox4x32(counters[id], run.key);
  bits[id] = b;
  units[id] = vec4<f32>(unit_open0(b.x), unit_open0(b.y), unit_open0(b.z), unit_open0(b.w));
  normals[id] = normals4(b);
}
