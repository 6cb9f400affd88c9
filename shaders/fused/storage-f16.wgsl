// Weights and activations of the fused kernels in f16 (adapters with 'shader-f16'): half the
// bytes to move; every op still computes and accumulates in f32 — the accessors convert at the
// load and the store. Same element layout as storage-f32.wgsl, so the op tables are unchanged.
enable f16;

@group(0) @binding(1) var<storage, read> weights: array<vec4<f16>>;
@group(0) @binding(3) var<storage, read_write> scratch: array<vec4<f16>>;

fn w4(i: u32) -> vec4<f32> { return vec4<f32>(weights[i]); }
fn s4(i: u32) -> vec4<f32> { return vec4<f32>(scratch[slot_index(i)]); }
fn s4_set(i: u32, v: vec4<f32>) { scratch[slot_index(i)] = vec4<f16>(v); }
