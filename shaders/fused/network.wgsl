// One whole network evaluation (GCNpose lifter or GCNdiff denoiser, model-spec §2-3) by one
// workgroup on one item. The network is its op program (src/model/network-program.ts) encoded
// as a table in the params uniform (networkTable() in src/schedule/fused-params.ts), run by
// this small interpreter: each cooperative op appears once in the code, which keeps the shader
// small enough for CPU drivers to compile quickly (fully unrolled layers took minutes in LLVM).
// Needs fused/coop-ops.wgsl, fused/params.wgsl and the op_linear / op_mix of fused/ops-plain.wgsl
// or fused/ops-subgroup.wgsl.

// Table of a network (u32 at `nb`): [op count, XIN, XOUT, -] then 12 u32 per op.
// Scratch offsets in ops are vec4 offsets from the slot base; weight offsets are vec4 indices
// into `weights`, except matrices (f32 indices). The layout (NET_COUNT, NET_XIN, NET_XOUT, NET_OPS,
// OP_U32) and the op codes come from the generated prelude (src/kernels/wgsl-constants.ts):
//   OP_LINEAR: x, cin4, w, b, cout4, y, act, add layer (NONE: no step term), res (NONE: none)
//   OP_MIX:    x, c4, mats, p, y
//   OP_NORM:   x, d4, gain, shift, y
//   OP_ATTN:   qkv, d4, heads, out
//   OP_FILM:   x, d4, gamma (vec4 offset in the item's FiLM row), row vec4s, y

fn net_xin(nb: u32) -> u32 { return tab(nb + NET_XIN); }
fn net_xout(nb: u32) -> u32 { return tab(nb + NET_XOUT); }

fn net_ops(nb: u32) -> u32 { return tab(nb + NET_COUNT); }

// Runs op `i` of network `nb` on this invocation's slot (reads XIN at op 0, writes XOUT at the last).
// `feat` is the vec4 offset of this step's layer-0 row in `features` (NONE for the lifter).
// The callers run every op of every item and step in ONE flat loop: LLVM-based CPU drivers
// compile barriers as coroutine suspend points, and barriers in nested loops (items, steps,
// ops) took over 30 s to compile on lavapipe; a single loop level compiles in about a second.
fn run_op(lid: u32, nb: u32, feat: u32, i: u32) {
  let o = nb + NET_OPS + i * OP_U32;
  let code = tab(o);
  if (code == OP_LINEAR) {
    var add = NONE;
    if (feat != NONE && tab(o + 8u) != NONE) { add = feat + tab(o + 8u) * params.feat_stride4; }
    var res = NONE;
    if (tab(o + 9u) != NONE) { res = tab(o + 9u); }
    op_linear(lid, tab(o + 1u), tab(o + 2u), tab(o + 3u), tab(o + 4u), tab(o + 5u), tab(o + 6u), tab(o + 7u), add, res);
  } else if (code == OP_MIX) {
    op_mix(lid, tab(o + 1u), tab(o + 2u), tab(o + 3u), tab(o + 4u), tab(o + 5u));
  } else if (code == OP_NORM) {
    coop_norm(lid, tab(o + 1u), tab(o + 2u), tab(o + 3u), tab(o + 4u), tab(o + 5u));
  } else if (code == OP_FILM) {
    coop_film(lid, tab(o + 1u), tab(o + 2u), tab(o + 3u), tab(o + 4u), tab(o + 5u));
  } else {
    coop_attention(lid, tab(o + 1u), tab(o + 2u), tab(o + 3u), tab(o + 4u));
  }
}
