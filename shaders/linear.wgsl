// y = act(x @ W + b) + add_vec + residual (src/model/linear.ts), for cout a multiple of 4.
// x [rows, cin] row-major; W [cin, cout] (torch's [out, in] transposed at load).
// Each invocation computes a block of 4 rows x 4 outputs in registers, reading W as vec4:
// on CPU drivers this register blocking beats shared-memory tiling (see docs).
// Composed with lib/dispatch.wgsl, lib/run.wgsl, lib/activation.wgsl.

struct LinearParams {
  cin: u32,
  cout: u32,
  // rows = run.batch * item_rows + fixed_rows: 17 and 0 for activations, 0 and n for a
  // batch-independent input such as the step embedding.
  item_rows: u32,
  fixed_rows: u32,
  act: u32,
  has_add_vec: u32,
  has_residual: u32,
}

@group(0) @binding(0) var<uniform> params: LinearParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> add_vec: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> residual: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> y: array<vec4<f32>>;

fn linear_store(row: u32, rows: u32, col: u32, cols: u32, acc: vec4<f32>) {
  if (row >= rows) { return; }
  var v = activate4(acc, params.act);
  if (params.has_add_vec != 0u) { v += add_vec[col]; }
  if (params.has_residual != 0u) { v += residual[row * cols + col]; }
  y[row * cols + col] = v;
}

@compute @workgroup_size(WG_SIZE)
fn linear_vec4(@builtin(workgroup_id) wg: vec3<u32>,
               @builtin(num_workgroups) num_wg: vec3<u32>,
               @builtin(local_invocation_index) local_index: u32) {
  let rows = run.batch * params.item_rows + params.fixed_rows;
  let cin = params.cin;
  let cols = params.cout / 4u;
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= ((rows + 3u) / 4u) * cols) { return; }
  let col = id % cols;
  let r0 = (id / cols) * 4u;
  // Rows past the end re-read the last row (in bounds) and are not stored.
  let last = rows - 1u;
  let x0 = min(r0, last) * cin;
  let x1 = min(r0 + 1u, last) * cin;
  let x2 = min(r0 + 2u, last) * cin;
  let x3 = min(r0 + 3u, last) * cin;
  let b = bias[col];
  var a0 = b;
  var a1 = b;
  var a2 = b;
  var a3 = b;
  for (var c = 0u; c < cin; c++) {
    let w = weight[c * cols + col];
    a0 = fma(vec4<f32>(x[x0 + c]), w, a0);
    a1 = fma(vec4<f32>(x[x1 + c]), w, a1);
    a2 = fma(vec4<f32>(x[x2 + c]), w, a2);
    a3 = fma(vec4<f32>(x[x3 + c]), w, a3);
  }
  linear_store(r0, rows, col, cols, a0);
  linear_store(r0 + 1u, rows, col, cols, a1);
  linear_store(r0 + 2u, rows, col, cols, a2);
  linear_store(r0 + 3u, rows, col, cols, a3);
}
