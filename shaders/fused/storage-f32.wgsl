// Weights and activations of the fused kernels in f32 (the default precision).
// The accessors take vec4 indices (scratch: slot-relative, through slot_index) and always give f32:
// the ops are written once for both precisions (storage-f16.wgsl).
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> scratch: array<vec4<f32>>;
// The same buffer as `weights`, by 32-bit word: a scalar costs one component, not a vec4's four,
// on CPU drivers that load per lane and component (fused/ops-subgroup.wgsl).
@group(0) @binding(7) var<storage, read> weight_words: array<u32>;

fn w4(i: u32) -> vec4<f32> { return weights[i]; }
// One scalar of the weight arena, by element index.
fn weight_scalar(i: u32) -> f32 { return bitcast<f32>(weight_words[i]); }
fn s4(i: u32) -> vec4<f32> { return scratch[slot_index(i)]; }
fn s4_set(i: u32, v: vec4<f32>) { scratch[slot_index(i)] = v; }
