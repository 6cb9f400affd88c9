// Weights and activations of the fused kernels in binary16, two per u32 (pack2x16float): half the
// bytes to move, and on CPU drivers half the loads, which cost per 32-bit component there
// (fused/ops-subgroup.wgsl). Core WGSL, so no 'shader-f16' needed. Every op still computes and
// accumulates in f32 — the accessors convert at the load and the store. Same element layout as
// storage-f32.wgsl (vec4 i = halves 4i..4i+3), so the op tables are unchanged.

@group(0) @binding(1) var<storage, read> weights: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> scratch: array<vec2<u32>>;
// The same buffer as `weights`, by 32-bit word (two halves): see storage-f32.wgsl.
@group(0) @binding(7) var<storage, read> weight_words: array<u32>;

fn unpack_halves(h: vec2<u32>) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y));
}

fn w4(i: u32) -> vec4<f32> { return unpack_halves(weights[i]); }
// One scalar of the weight arena, by element index.
fn weight_scalar(i: u32) -> f32 { return unpack2x16float(weight_words[i / 2u])[i % 2u]; }
fn s4(i: u32) -> vec4<f32> { return unpack_halves(scratch[slot_index(i)]); }
fn s4_set(i: u32, v: vec4<f32>) { scratch[slot_index(i)] = vec2<u32>(pack2x16float(v.xy), pack2x16float(v.zw)); }
