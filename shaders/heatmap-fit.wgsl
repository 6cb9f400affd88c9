// Per-joint 2D Gaussian mixtures fitted to heatmaps by weighted EM (src/model/heatmap-fit.ts is
// the CPU reference and states the rules: the start from local maxima, the uniform background
// component, the variance floor, the flat-heatmap fallback, the target kernel taken off, the box
// mapping).
// One workgroup of HEATMAP_LANES invocations per (pose, joint): each lane sums every
// HEATMAP_LANES-th pixel, then a tree reduction in workgroup memory gives every lane the totals,
// from which each lane computes the same update (no broadcast needed). The pixel loop is where
// the time goes, so the lanes keep their sums in registers and touch workgroup memory once a step.
// Composed with lib/dispatch.wgsl (WG_SIZE, always HEATMAP_LANES: the reduction is sized by it).
// HEATMAP_LANES, HEATMAP_MAX_COMPONENTS, HEATMAP_ITERATIONS and HEATMAP_SUMS come from the
// generated prelude (src/kernels/wgsl-constants.ts).

struct HeatmapFitParams {
  width: u32,
  height: u32,
  joints: u32,
  components: u32,
  seed_fraction: f32,
  variance_init: f32,
  variance_floor: f32,
  background_init: f32,
  min_share: f32,
  // The detector's target kernel's variance (heatmap px²; 0: none) comes off each fitted
  // component's variance, floored at belief_floor (rule 5 of the reference).
  target_variance: f32,
  belief_floor: f32,
  // Means and stds out = value * out_scale + offset: image pixels (1, 0, 0) or the model's uv units.
  out_scale: f32,
  out_offset_x: f32,
  out_offset_y: f32,
  // 1: also write the heaviest component's mean to `uv` (the lifter's 2D input).
  write_uv: u32,
}

@group(0) @binding(0) var<uniform> params: HeatmapFitParams;
// [poses, joints, height, width]
@group(0) @binding(1) var<storage, read> heatmaps: array<f32>;
// [poses, 4]: left, top, right, bottom, image pixels.
@group(0) @binding(2) var<storage, read> boxes: array<f32>;
// [poses, joints, components, GMM_STRIDE]: weight, mean x, mean y, std x, std y.
@group(0) @binding(3) var<storage, read_write> fit: array<f32>;
// [poses, joints, 2]: the heaviest component's mean (write_uv).
@group(0) @binding(4) var<storage, read_write> uv: array<f32>;

// Per lane: HEATMAP_SUMS floats (5 sums per component), reduced in place.
var<workgroup> sums: array<f32, HEATMAP_LANES * HEATMAP_SUMS>;
// Per lane: its best local maxima (value, pixel), best first; value -1 for none.
var<workgroup> seed_value: array<f32, HEATMAP_LANES * HEATMAP_MAX_COMPONENTS>;
var<workgroup> seed_pixel: array<u32, HEATMAP_LANES * HEATMAP_MAX_COMPONENTS>;

// The mass of a heatmap value: max(v, 0); NaN and infinities carry none (tested on the bits:
// drivers may assume floats are finite and fold a comparison away).
fn pixel_mass(v: f32) -> f32 {
  if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) { return 0.0; }
  return max(v, 0.0);
}

// (a, pa) ranks before (b, pb): higher value, then lower pixel.
fn ranks_before(a: f32, pa: u32, b: f32, pb: u32) -> bool {
  return a > b || (a == b && pa < pb);
}

// Sums lane's slots with lane + stride's for stride = lanes / 2 .. 1 (every lane ends at a barrier).
fn reduce_sums(lane: u32, count: u32) {
  for (var stride = HEATMAP_LANES / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      for (var i = 0u; i < count; i++) {
        sums[lane * HEATMAP_SUMS + i] += sums[(lane + stride) * HEATMAP_SUMS + i];
      }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG_SIZE)
fn heatmap_fit(@builtin(workgroup_id) wg: vec3<u32>,
               @builtin(num_workgroups) num_wg: vec3<u32>,
               @builtin(local_invocation_index) lane: u32) {
  let item = wg.y * num_wg.x + wg.x;
  if (item >= run.poses * params.joints) { return; }
  let w = params.width;
  let h = params.height;
  let pixels = w * h;
  let base = item * pixels;
  let K = params.components;

  // ---- pass 1: total mass, max, min and each lane's best local maxima ----
  var total = 0.0;
  var hi = -1.0;
  var lo = 3.4e38;
  var best_v: array<f32, HEATMAP_MAX_COMPONENTS>;
  var best_p: array<u32, HEATMAP_MAX_COMPONENTS>;
  for (var k = 0u; k < HEATMAP_MAX_COMPONENTS; k++) { best_v[k] = -1.0; best_p[k] = 0u; }
  for (var p = lane; p < pixels; p += HEATMAP_LANES) {
    let v = pixel_mass(heatmaps[base + p]);
    total += v;
    hi = max(hi, v);
    lo = min(lo, v);
    if (!(v > 0.0)) { continue; }
    let x = p % w;
    let y = p / w;
    var peak = true;
    for (var dy = -1; dy <= 1; dy++) {
      for (var dx = -1; dx <= 1; dx++) {
        let qx = i32(x) + dx;
        let qy = i32(y) + dy;
        if ((dx == 0 && dy == 0) || qx < 0 || qy < 0 || qx >= i32(w) || qy >= i32(h)) { continue; }
        let q = u32(qy) * w + u32(qx);
        let mq = pixel_mass(heatmaps[base + q]);
        if ((q < p && !(v > mq)) || (q > p && !(v >= mq))) { peak = false; }
      }
    }
    if (!peak || !ranks_before(v, p, best_v[K - 1u], best_p[K - 1u])) { continue; }
    // Insert into the lane's sorted list of K.
    var at = K - 1u;
    while (at > 0u && ranks_before(v, p, best_v[at - 1u], best_p[at - 1u])) {
      best_v[at] = best_v[at - 1u];
      best_p[at] = best_p[at - 1u];
      at -= 1u;
    }
    best_v[at] = v;
    best_p[at] = p;
  }
  sums[lane * HEATMAP_SUMS] = total;
  sums[lane * HEATMAP_SUMS + 1u] = hi;
  sums[lane * HEATMAP_SUMS + 2u] = lo;
  for (var k = 0u; k < K; k++) {
    seed_value[lane * HEATMAP_MAX_COMPONENTS + k] = best_v[k];
    seed_pixel[lane * HEATMAP_MAX_COMPONENTS + k] = best_p[k];
  }
  workgroupBarrier();
  for (var stride = HEATMAP_LANES / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      let a = lane * HEATMAP_SUMS;
      let b = (lane + stride) * HEATMAP_SUMS;
      sums[a] += sums[b];
      sums[a + 1u] = max(sums[a + 1u], sums[b + 1u]);
      sums[a + 2u] = min(sums[a + 2u], sums[b + 2u]);
      // Merge the two sorted lists, keep the best K.
      var merged_v: array<f32, HEATMAP_MAX_COMPONENTS>;
      var merged_p: array<u32, HEATMAP_MAX_COMPONENTS>;
      var i = 0u;
      var j = 0u;
      let la = lane * HEATMAP_MAX_COMPONENTS;
      let lb = (lane + stride) * HEATMAP_MAX_COMPONENTS;
      for (var k = 0u; k < K; k++) {
        let take_a = j >= K || (i < K && ranks_before(seed_value[la + i], seed_pixel[la + i], seed_value[lb + j], seed_pixel[lb + j]));
        if (take_a) {
          merged_v[k] = seed_value[la + i];
          merged_p[k] = seed_pixel[la + i];
          i++;
        } else {
          merged_v[k] = seed_value[lb + j];
          merged_p[k] = seed_pixel[lb + j];
          j++;
        }
      }
      for (var k = 0u; k < K; k++) {
        seed_value[la + k] = merged_v[k];
        seed_pixel[la + k] = merged_p[k];
      }
    }
    workgroupBarrier();
  }
  // Uniform loads: whether the map is flat decides whether the EM loop (with its barriers) runs.
  let mass = workgroupUniformLoad(&sums[0]);
  let peak_value = workgroupUniformLoad(&sums[1]);
  let floor_value = workgroupUniformLoad(&sums[2]);

  // ---- the start: components at the seeds ----
  var weight: array<f32, HEATMAP_MAX_COMPONENTS>;
  var mx: array<f32, HEATMAP_MAX_COMPONENTS>;
  var my: array<f32, HEATMAP_MAX_COMPONENTS>;
  var vx: array<f32, HEATMAP_MAX_COMPONENTS>;
  var vy: array<f32, HEATMAP_MAX_COMPONENTS>;
  var C = 0u;
  let flat = !(peak_value > floor_value);
  if (!flat) {
    let threshold = params.seed_fraction * peak_value;
    var seed_sum = 0.0;
    for (var k = 0u; k < K; k++) {
      let v = seed_value[k];
      if (v > 0.0 && v >= threshold) {
        mx[C] = f32(seed_pixel[k] % w);
        my[C] = f32(seed_pixel[k] / w);
        vx[C] = params.variance_init;
        vy[C] = params.variance_init;
        weight[C] = v;
        seed_sum += v;
        C++;
      }
    }
    for (var k = 0u; k < C; k++) { weight[k] = (1.0 - params.background_init) * weight[k] / seed_sum; }
  }

  // ---- EM ----
  var background = params.background_init;
  let background_density = 1.0 / f32(pixels);
  for (var it = 0u; it < HEATMAP_ITERATIONS; it++) {
    if (flat) { break; }
    var s: array<f32, HEATMAP_SUMS>;
    for (var i = 0u; i < HEATMAP_SUMS; i++) { s[i] = 0.0; }
    var norm: array<f32, HEATMAP_MAX_COMPONENTS>;
    for (var k = 0u; k < C; k++) { norm[k] = weight[k] / (6.283185307179586 * sqrt(vx[k] * vy[k])); }
    for (var p = lane; p < pixels; p += HEATMAP_LANES) {
      let v = pixel_mass(heatmaps[base + p]);
      if (!(v > 0.0)) { continue; }
      let x = f32(p % w);
      let y = f32(p / w);
      var d: array<f32, HEATMAP_MAX_COMPONENTS>;
      var sum = background * background_density;
      for (var k = 0u; k < C; k++) {
        let dx = x - mx[k];
        let dy = y - my[k];
        d[k] = norm[k] * exp(-0.5 * (dx * dx / vx[k] + dy * dy / vy[k]));
        sum += d[k];
      }
      if (!(sum > 0.0)) { continue; }
      let r = v / sum;
      for (var k = 0u; k < C; k++) {
        let q = r * d[k];
        let dx = x - mx[k];
        let dy = y - my[k];
        s[5u * k] += q;
        s[5u * k + 1u] += q * dx;
        s[5u * k + 2u] += q * dy;
        s[5u * k + 3u] += q * dx * dx;
        s[5u * k + 4u] += q * dy * dy;
      }
    }
    for (var i = 0u; i < 5u * C; i++) { sums[lane * HEATMAP_SUMS + i] = s[i]; }
    workgroupBarrier();
    reduce_sums(lane, 5u * C);
    var gaussians = 0.0;
    for (var k = 0u; k < C; k++) {
      let s0 = sums[5u * k];
      if (!(s0 > params.min_share * mass)) {
        weight[k] = 0.0;
        continue;
      }
      let ex = sums[5u * k + 1u] / s0;
      let ey = sums[5u * k + 2u] / s0;
      mx[k] += ex;
      my[k] += ey;
      vx[k] = max(sums[5u * k + 3u] / s0 - ex * ex, params.variance_floor);
      vy[k] = max(sums[5u * k + 4u] / s0 - ey * ey, params.variance_floor);
      weight[k] = s0 / mass;
      gaussians += s0;
    }
    background = max(0.0, 1.0 - gaussians / mass);
    // Every lane has read the totals before any lane writes its next sums.
    workgroupBarrier();
  }

  // ---- out: one lane writes ----
  if (lane != 0u) { return; }
  var weight_sum = 0.0;
  for (var k = 0u; k < C; k++) { weight_sum += weight[k]; }
  var target_variance = params.target_variance;
  if (!(weight_sum > 0.0)) {
    // No blob, so no kernel to take off.
    target_variance = 0.0;
    // Flat (or nothing left): one component over the box, the std of a uniform.
    C = 1u;
    weight[0] = 1.0;
    weight_sum = 1.0;
    mx[0] = (f32(w) - 1.0) / 2.0;
    my[0] = (f32(h) - 1.0) / 2.0;
    vx[0] = f32(w) * f32(w) / 12.0;
    vy[0] = f32(h) * f32(h) / 12.0;
  }
  var heaviest = 0u;
  for (var k = 1u; k < C; k++) { if (weight[k] > weight[heaviest]) { heaviest = k; } }
  let n = item / params.joints;
  let left = boxes[n * 4u];
  let top = boxes[n * 4u + 1u];
  let bx = (boxes[n * 4u + 2u] - left) / f32(w);
  let by = (boxes[n * 4u + 3u] - top) / f32(h);
  if (target_variance > 0.0) {
    for (var k = 0u; k < C; k++) {
      vx[k] = max(vx[k] - target_variance, params.belief_floor);
      vy[k] = max(vy[k] - target_variance, params.belief_floor);
    }
  }
  for (var k = 0u; k < K; k++) {
    let c = select(heaviest, k, k < C);
    let o = (item * K + k) * GMM_STRIDE;
    fit[o] = select(0.0, weight[c] / weight_sum, k < C);
    fit[o + 1u] = (left + (mx[c] + 0.5) * bx) * params.out_scale + params.out_offset_x;
    fit[o + 2u] = (top + (my[c] + 0.5) * by) * params.out_scale + params.out_offset_y;
    fit[o + 3u] = sqrt(vx[c]) * bx * params.out_scale;
    fit[o + 4u] = sqrt(vy[c]) * by * params.out_scale;
  }
  if (params.write_uv == 1u) {
    uv[item * 2u] = (left + (mx[heaviest] + 0.5) * bx) * params.out_scale + params.out_offset_x;
    uv[item * 2u + 1u] = (top + (my[heaviest] + 0.5) * by) * params.out_scale + params.out_offset_y;
  }
}
