// The phases of lifting one pose: load its uv and confidences, every op of the lifter, write
// the root-centred output (and a 4-output lifter's sigma, exp of its 4th channel, at
// params.sigma_at in `gmm_out`: src/model/lifter-output.ts). The confidence goes in the input's third channel, which only a
// confidence-reading lifter (coordsIn 3) reads: a released lifter's input op covers two.
// Shared by the cooperative and per-invocation lifter entry points. Needs the bindings
// `uv` and `lifter_xyz` and the fused libs. INPUT_UV / INPUT_PIXELS: the generated prelude.

// The default 2D std of a joint from its confidence, uv units (sigmaFromConfidence in
// src/pose/input.ts, docs/formats.md).
fn sigma_from_confidence(c: f32) -> f32 {
  let miss = 1.0 - c;
  let m2 = miss * miss;
  return 0.001 + 0.015 * miss + 0.075 * m2 * m2 * m2;
}

// NOISE_MODEL.confidenceScale and confidenceRange[0] (src/pose/detector-noise.ts).
const CONFIDENCE_SCALE: f32 = 0.03;
const CONFIDENCE_MIN: f32 = 0.05;

// INPUT_MIXTURE: the confidence a detector with joint j's error would report, from its mixture
// (params.components components in gmm_out, uv units) and the person's height (the extent of the
// 17 keypoints in `uv`, at least one pixel): mixtureConfidence in src/pose/heatmaps.ts, which
// gives a host lift from a mixture its confidences.
fn mixture_confidence(pose: u32, j: u32) -> f32 {
  var top = 3.0e38;
  var bottom = -3.0e38;
  for (var k = 0u; k < params.joint_count; k++) {
    let y = uv[(pose * JOINTS + k) * 2u + 1u];
    top = min(top, y);
    bottom = max(bottom, y);
  }
  let scale = CONFIDENCE_SCALE * max(bottom - top, 2.0 / params.image_width);
  let K = params.components;
  var total = 0.0;
  var mean = vec2<f32>(0.0);
  var second = vec2<f32>(0.0);
  for (var c = 0u; c < K; c++) {
    let g = ((pose * JOINTS + j) * K + c) * 5u;
    let w = gmm_out[g];
    let m = vec2<f32>(gmm_out[g + 1u], gmm_out[g + 2u]);
    let s = vec2<f32>(gmm_out[g + 3u], gmm_out[g + 4u]);
    total += w;
    mean += w * m;
    second += w * (s * s + m * m);
  }
  let v = max(second / total - (mean / total) * (mean / total), vec2<f32>(0.0));
  return clamp(exp(-sqrt((v.x + v.y) / 2.0) / scale), CONFIDENCE_MIN, 1.0);
}

fn lift_phases() -> u32 {
  return net_ops(LIFTER_TABLE) + 2u;
}

fn lift_phase(lane: u32, pose: u32, phase: u32) {
  let xin = net_xin(LIFTER_TABLE);
  let xout = net_xout(LIFTER_TABLE);
  let ops = net_ops(LIFTER_TABLE);
  // Per-invocation rounds run past the batch (fused-lift-lane.wgsl): such a pose reads and writes no buffer.
  let live = pose < run.batch;
  if (phase == 0u) {
    for (var j = lane; live && j < JOINTS; j += lanes) {
      if (params.input_kind == INPUT_PIXELS) {
        let i = (pose * JOINTS + j) * 3u;
        let w = params.image_width;
        let p = vec2<f32>(uv[i] / w * 2.0 - 1.0, uv[i + 1u] / w * 2.0 - params.image_height / w);
        let sigma = sigma_from_confidence(uv[i + 2u]);
        let g = (pose * JOINTS + j) * 5u;
        gmm_out[g] = 1.0;
        gmm_out[g + 1u] = p.x;
        gmm_out[g + 2u] = p.y;
        gmm_out[g + 3u] = sigma;
        gmm_out[g + 4u] = sigma;
        s4_set(xin + j, vec4<f32>(p, uv[i + 2u], 0.0));
      } else {
        let i = (pose * JOINTS + j) * 2u;
        var c: f32;
        if (params.input_kind == INPUT_MIXTURE) { c = mixture_confidence(pose, j); } else { c = confidence[pose * JOINTS + j]; }
        s4_set(xin + j, vec4<f32>(uv[i], uv[i + 1u], c, 0.0));
      }
    }
  } else if (phase <= ops) {
    run_op(lane, LIFTER_TABLE, NONE, phase - 1u);
  } else {
    let root = s4(xout).xyz;
    for (var j = lane; live && j < JOINTS; j += lanes) {
      let p = s4(xout + j).xyz - root;
      let o = (pose * JOINTS + j) * 3u;
      lifter_xyz[o] = p.x;
      lifter_xyz[o + 1u] = p.y;
      lifter_xyz[o + 2u] = p.z;
      if (params.sigma_at > 0u) { gmm_out[params.sigma_at + pose * JOINTS + j] = exp(s4(xout + j).w); }
    }
  }
}
