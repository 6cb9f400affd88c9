// Aggregates the final state x [poses * hypotheses, 17, 5] (xyz in channels 2..4) over the
// hypotheses (src/model/aggregate.ts): every hypothesis root-centred, their mean, and the per-joint
// spread sqrt(mean_h |x_h - mean|^2); then, with `fit_root`, the root position that reprojects the
// mean pose best onto the 2D (src/pose/root-trajectory.ts fitRoot: the closed-form start, then
// Gauss-Newton steps; each joint weighted by 1 / the mean variance of its 2D mixture); and, for
// calibrated weights, each joint's radius90 (src/model/calibration.ts: offset + scale x spread, or
// a radius alone with one hypothesis, per joint and band of the widest 2D mixture of the joint and
// its pose's root joints). One invocation per pose. For a v2 temporal sequence (`fuse.taps` > 0,
// docs/temporal-model.md §12.1 step 5) the output pose is the average of its neighbours'
// hypothesis means, recomputed from the final state, each neighbour clamped to the pose's track;
// spread, samples and radius90 stay the pose's own, the root is fitted to the averaged pose. A
// stream's push (`fuse.ring_at` > 0) reads the earlier means of each track from the stream's ring
// in `uv`, after writing its own there.
// Composed with lib/dispatch.wgsl, lib/run.wgsl.
// JOINTS, GMM_STRIDE, CAL_BANDS come from the generated prelude (src/kernels/wgsl-constants.ts).

struct AggregateParams {
  // 1: fit the root into `root`; 0: no root (uv, gmm, root are placeholders).
  fit_root: u32,
  // Mixture components per joint in `gmm`.
  components: u32,
  // 1: each joint's 2D is its first mixture component's mean (the lifter's pixel input path); 0: `uv`.
  uv_in_gmm: u32,
  // Gauss-Newton steps after the closed-form start.
  steps: u32,
  // The camera in uv units (src/pose/root-trajectory.ts uvCamera).
  focal: f32,
  cu: f32,
  cv: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
// [poses, 17, 3]
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;
// [poses, 17]
@group(0) @binding(2) var<storage, read_write> spread: array<f32>;
// [poses, hypotheses, 17, 3]
@group(0) @binding(3) var<storage, read_write> samples: array<f32>;
@group(0) @binding(4) var<uniform> params: AggregateParams;
// [poses, 17, 2] the input 2D, uv units. With `fuse.taps` > 0: a record of FUSE_RECORD per pose,
// its 2D [17, 2] then its track's first and last pose in the state (a stream: first and last
// frame), its own frame and its track's base row in the ring (bitcast u32); with `fuse.ring_at`
// > 0, from there a stream's ring of each track's last `fuse.taps` means [tracks * taps, 17, 3].
@group(0) @binding(5) var<storage, read_write> uv: array<f32>;
// [state poses, 17, components, GMM_STRIDE]: weight, mean u, mean v, std u, std v.
@group(0) @binding(6) var<storage, read> gmm: array<f32>;
// [poses, 3] camera frame, metres; (0, 0, 0) where the 2D determines no root in front of the camera
// (WGSL may assume no NaN: the host turns those into NaN).
@group(0) @binding(7) var<storage, read_write> root: array<f32>;
// [poses, 17] metres, with calibration.bands > 0.
@group(0) @binding(8) var<storage, read_write> radius: array<f32>;

// The weights' radius90 calibration (packCalibration in src/kernels/aggregate.ts), written once per plan.
struct Calibration {
  // Confidence bands (0: uncalibrated, nothing written to `radius`).
  bands: u32,
  // Where the lifter dispatch left a 4-output lifter's sigma [poses, 17] in `gmm` (f32 index), for
  // the H = 1 radius sigma_scale x sigma; 0: none (the radius with one hypothesis is a constant).
  sigma_at: u32,
  // The band edges as 2D mixture variances, uv units squared, decreasing (CAL_BANDS - 1 used at most).
  edges: array<vec4<f32>, 2>,
  // Per joint and band: offset (m), scale, the radius with one hypothesis (m), sigma_scale.
  table: array<vec4<f32>, JOINTS * CAL_BANDS>,
}
@group(0) @binding(9) var<uniform> calibration: Calibration;

// v2's output average (packFuse in src/kernels/aggregate.ts), written per chunk; taps 0: none.
struct Fuse {
  taps: u32,
  // Taps before the pose (fuse.pad[0]).
  before: u32,
  // Output pose n reads the state of pose n + offset (the chunk's denoised region starts earlier).
  offset: u32,
  // A stream: where its ring of means starts in `uv` (f32 index); 0: none.
  ring_at: u32,
  // Per tap and joint, [taps, 17] row-major.
  weights: array<vec4<f32>, FUSE_VEC4S>,
}
@group(0) @binding(10) var<uniform> fuse: Fuse;

// Root-centred xyz of joint j of state item r.
fn centred_xyz(r: u32, j: u32) -> vec3<f32> {
  let o = (r * JOINTS + j) * 5u + 2u;
  let base = r * JOINTS * 5u + 2u;
  return vec3<f32>(x[o], x[o + 1u], x[o + 2u]) - vec3<f32>(x[base], x[base + 1u], x[base + 2u]);
}

// The 2D of joint j of output pose n.
fn joint_uv(n: u32, j: u32) -> vec2<f32> {
  if (params.uv_in_gmm == 1u) {
    let g = ((n + fuse.offset) * JOINTS + j) * params.components * GMM_STRIDE;
    return vec2<f32>(gmm[g + 1u], gmm[g + 2u]);
  }
  let at = select(2u * JOINTS, FUSE_RECORD, fuse.taps > 0u) * n + 2u * j;
  return vec2<f32>(uv[at], uv[at + 1u]);
}

// The mixture's mean per-axis variance (mixtureVariance in src/model/calibration.ts).
fn joint_variance(pj: u32) -> f32 {
  var variance = 0.0;
  for (var k = 0u; k < params.components; k++) {
    let g = (pj * params.components + k) * GMM_STRIDE;
    variance += gmm[g] * (gmm[g + 3u] * gmm[g + 3u] + gmm[g + 4u] * gmm[g + 4u]) / 2.0;
  }
  return variance;
}

fn joint_weight(pj: u32) -> f32 {
  return 1.0 / joint_variance(pj);
}

// radius90 of joint j of pose-joint pj with this spread (mixtureBands and radius90 in src/model/calibration.ts):
// banded by the widest 2D mixture of the joint and its pose's pelvis and hips (0, 1, 4), the root
// every joint is measured from.
fn joint_radius(pj: u32, j: u32, spread_j: f32) -> f32 {
  let pose = pj - j;
  let variance = max(joint_variance(pj),
    max(joint_variance(pose), max(joint_variance(pose + 1u), joint_variance(pose + 4u))));
  var b = 0u;
  while (b + 1u < calibration.bands && variance <= calibration.edges[b / 4u][b % 4u]) { b++; }
  let e = calibration.table[j * CAL_BANDS + b];
  if (run.hypotheses > 1u) { return e.x + e.y * spread_j; }
  if (calibration.sigma_at > 0u) { return e.w * gmm[calibration.sigma_at + pj]; }
  return e.z;
}

// Solves a x = b for a symmetric 3x3 a (Cramer's rule), or returns false when it is singular.
var<private> solved: vec3<f32>;
fn solve3(a: mat3x3<f32>, b: vec3<f32>) -> bool {
  let d = determinant(a);
  if (!(abs(d) > 1e-12)) { return false; }
  solved = vec3<f32>(
    determinant(mat3x3<f32>(b, a[1], a[2])),
    determinant(mat3x3<f32>(a[0], b, a[2])),
    determinant(mat3x3<f32>(a[0], a[1], b))) / d;
  return true;
}

const NO_ROOT = vec3<f32>(0.0);

fn fit_root(n: u32, m: ptr<function, array<vec3<f32>, JOINTS>>) -> vec3<f32> {
  let f = params.focal;
  let c = vec2<f32>(params.cu, params.cv);
  // Normal equations of the linearised rows (f, 0, -du) . t = du Z - f X and (0, f, -dv) . t = dv Z - f Y.
  var ata = mat3x3<f32>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0));
  var atb = vec3<f32>(0.0);
  let e = n + fuse.offset;
  for (var j = 0u; j < JOINTS; j++) {
    let w = joint_weight(e * JOINTS + j);
    if (!(w > 0.0)) { continue; }
    let p = (*m)[j];
    let d = joint_uv(n, j) - c;
    let ru = vec3<f32>(f, 0.0, -d.x);
    let rv = vec3<f32>(0.0, f, -d.y);
    ata += w * (mat3x3<f32>(ru * ru.x, ru * ru.y, ru * ru.z) + mat3x3<f32>(rv * rv.x, rv * rv.y, rv * rv.z));
    atb += w * (ru * (d.x * p.z - f * p.x) + rv * (d.y * p.z - f * p.y));
  }
  if (!solve3(ata, atb) || !(solved.z > 0.0)) { return NO_ROOT; }
  var t = solved;
  for (var s = 0u; s < params.steps; s++) {
    // Gauss-Newton on r = project(P + t) - uv; Jacobian rows (f/Z, 0, -f X/Z^2), (0, f/Z, -f Y/Z^2).
    var h = mat3x3<f32>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0));
    var g = vec3<f32>(0.0);
    for (var j = 0u; j < JOINTS; j++) {
      let w = joint_weight(e * JOINTS + j);
      if (!(w > 0.0)) { continue; }
      let q = (*m)[j] + t;
      if (!(q.z > 1e-6)) { return NO_ROOT; }
      let a = f / q.z;
      let ju = vec3<f32>(a, 0.0, -f * q.x / (q.z * q.z));
      let jv = vec3<f32>(0.0, a, -f * q.y / (q.z * q.z));
      let r = f * q.xy / q.z + c - joint_uv(n, j);
      h += w * (mat3x3<f32>(ju * ju.x, ju * ju.y, ju * ju.z) + mat3x3<f32>(jv * jv.x, jv * jv.y, jv * jv.z));
      g += w * (ju * r.x + jv * r.y);
    }
    if (!solve3(h, g)) { break; }
    t -= solved;
  }
  if (!(t.z > 0.0)) { return NO_ROOT; }
  return t;
}

// The hypothesis mean of joint j of state pose e.
fn pose_mean(e: u32, j: u32) -> vec3<f32> {
  var sum = vec3<f32>(0.0);
  for (var h = 0u; h < run.hypotheses; h++) { sum += centred_xyz(e * run.hypotheses + h, j); }
  return sum / f32(run.hypotheses);
}

// A stream's ring: the f32 index of joint j of its track's mean of `frame`.
fn ring_row(n: u32, frame: u32, j: u32) -> u32 {
  let base = bitcast<u32>(uv[FUSE_RECORD * n + 2u * JOINTS + 3u]);
  return fuse.ring_at + ((base + frame % fuse.taps) * JOINTS + j) * 3u;
}

// The output average of joint j of output pose n (state pose e): the neighbours' means, clamped
// to [lo, hi]; a stream's from its ring (its own written there first), by frame.
fn fused_mean(n: u32, e: u32, j: u32) -> vec3<f32> {
  let lo = bitcast<u32>(uv[FUSE_RECORD * n + 2u * JOINTS]);
  let hi = bitcast<u32>(uv[FUSE_RECORD * n + 2u * JOINTS + 1u]);
  let t = bitcast<u32>(uv[FUSE_RECORD * n + 2u * JOINTS + 2u]);
  var acc = vec3<f32>(0.0);
  for (var k = 0u; k < fuse.taps; k++) {
    let i = k * JOINTS + j;
    if (fuse.ring_at > 0u) {
      let r = ring_row(n, u32(clamp(i32(t + k) - i32(fuse.before), i32(lo), i32(hi))), j);
      acc += fuse.weights[i / 4u][i % 4u] * vec3<f32>(uv[r], uv[r + 1u], uv[r + 2u]);
    } else {
      let q = u32(clamp(i32(e + k) - i32(fuse.before), i32(lo), i32(hi)));
      acc += fuse.weights[i / 4u][i % 4u] * pose_mean(q, j);
    }
  }
  return acc;
}

@compute @workgroup_size(WG_SIZE)
fn aggregate(@builtin(workgroup_id) wg: vec3<u32>,
             @builtin(num_workgroups) num_wg: vec3<u32>,
             @builtin(local_invocation_index) local_index: u32) {
  let n = invocation_index(wg, num_wg, local_index);
  if (n >= run.poses) { return; }
  let hyps = run.hypotheses;
  let e = n + fuse.offset;
  var m: array<vec3<f32>, JOINTS>;
  for (var j = 0u; j < JOINTS; j++) {
    let id = n * JOINTS + j;
    var sum = vec3<f32>(0.0);
    for (var h = 0u; h < hyps; h++) {
      let r = e * hyps + h;
      let v = centred_xyz(r, j);
      let s = ((n * hyps + h) * JOINTS + j) * 3u;
      samples[s] = v.x;
      samples[s + 1u] = v.y;
      samples[s + 2u] = v.z;
      sum += v;
    }
    let own = sum / f32(hyps);
    var sq = 0.0;
    for (var h = 0u; h < hyps; h++) {
      let dv = centred_xyz(e * hyps + h, j) - own;
      sq += dot(dv, dv);
    }
    var mj = own;
    if (fuse.ring_at > 0u) {
      let r = ring_row(n, bitcast<u32>(uv[FUSE_RECORD * n + 2u * JOINTS + 2u]), j);
      uv[r] = own.x;
      uv[r + 1u] = own.y;
      uv[r + 2u] = own.z;
    }
    if (fuse.taps > 0u) { mj = fused_mean(n, e, j); }
    mean[id * 3u] = mj.x;
    mean[id * 3u + 1u] = mj.y;
    mean[id * 3u + 2u] = mj.z;
    let spread_j = sqrt(sq / f32(hyps));
    spread[id] = spread_j;
    if (calibration.bands > 0u) { radius[id] = joint_radius(e * JOINTS + j, j, spread_j); }
    m[j] = mj;
  }
  if (params.fit_root == 0u) { return; }
  let t = fit_root(n, &m);
  root[3u * n] = t.x;
  root[3u * n + 1u] = t.y;
  root[3u * n + 2u] = t.z;
}
