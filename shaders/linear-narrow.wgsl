// The linear layer of linear.wgsl for any cout (the 3- and 5-channel output layers): the same
// bindings and parameters, scalar weights. Each invocation computes 4 rows x 1 output.
// Composed with lib/dispatch.wgsl, lib/run.wgsl, lib/activation.wgsl.

struct LinearParams {
  cin: u32,
  cout: u32,
  item_rows: u32,
  fixed_rows: u32,
  act: u32,
  has_add_vec: u32,
  has_residual: u32,
}

@group(0) @binding(0) var<uniform> params: LinearParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> add_vec: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn linear_store(row: u32, rows: u32, col: u32, cols: u32, acc: f32) {
  if (row >= rows) { return; }
  var v = activate1(acc, params.act);
  if (params.has_add_vec != 0u) { v += add_vec[col]; }
  if (params.has_residual != 0u) { v += residual[row * cols + col]; }
  y[row * cols + col] = v;
}

@compute @workgroup_size(WG_SIZE)
fn linear_narrow(@builtin(workgroup_id) wg: vec3<u32>,
                 @builtin(num_workgroups) num_wg: vec3<u32>,
                 @builtin(local_invocation_index) local_index: u32) {
  let rows = run.batch * params.item_rows + params.fixed_rows;
  let cin = params.cin;
  let cols = params.cout;
  let id = invocation_index(wg, num_wg, local_index);
  if (id >= ((rows + 3u) / 4u) * cols) { return; }
  let col = id % cols;
  let r0 = (id / cols) * 4u;
  let last = rows - 1u;
  let x0 = min(r0, last) * cin;
  let x1 = min(r0 + 1u, last) * cin;
  let x2 = min(r0 + 2u, last) * cin;
  let x3 = min(r0 + 3u, last) * cin;
  let b = bias[col];
  var acc = vec4<f32>(b);
  for (var c = 0u; c < cin; c++) {
    let w = weight[c * cols + col];
    acc = fma(vec4<f32>(x[x0 + c], x[x1 + c], x[x2 + c], x[x3 + c]), vec4<f32>(w), acc);
  }
  linear_store(r0, rows, col, cols, acc.x);
  linear_store(r0 + 1u, rows, col, cols, acc.y);
  linear_store(r0 + 2u, rows, col, cols, acc.z);
  linear_store(r0 + 3u, rows, col, cols, acc.w);
}
