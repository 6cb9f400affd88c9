// The phases of one (pose, hypothesis): the start from the 2D mixture, then per reverse step
// every op of the denoiser and the DDIM update, then the write-out of x_{-1}. Shared by the
// cooperative and per-invocation entry points. Needs the bindings `gmm`, `lifter_xyz`, `state`,
// lib/gmm.wgsl (with gmm_load), lib/ddim.wgsl and the fused libs.

fn denoise_phases() -> u32 {
  return 2u + params.num_steps * (net_ops(DENOISER_TABLE) + 1u);
}

fn load_state(xin: u32, j: u32) -> Joint5 {
  return Joint5(s4(xin + 2u * j), s4(xin + 2u * j + 1u).x);
}

fn store_state(xin: u32, j: u32, s: Joint5) {
  s4_set(xin + 2u * j, s.uvxy);
  s4_set(xin + 2u * j + 1u, vec4<f32>(s.z, 0.0, 0.0, 0.0));
}

fn denoise_phase(lane: u32, item: u32, phase: u32) {
  let xin = net_xin(DENOISER_TABLE);
  let n = item / run.hypotheses;
  let h = item % run.hypotheses;
  let pose = run.pose_offset + n;
  film_pose = n;
  // Per-invocation rounds run past the batch (fused-denoise-lane.wgsl): such an item reads and
  // writes no buffer.
  let live = item < run.batch;
  if (phase == 0u) {
    for (var j = lane; live && j < JOINTS; j += lanes) {
      let pj = n * JOINTS + j;
      let xyz = vec3<f32>(lifter_xyz[pj * 3u], lifter_xyz[pj * 3u + 1u], lifter_xyz[pj * 3u + 2u]);
      var xyz_std = params.sqrt_one_minus_a0;
      if (params.sigma_at > 0u) { xyz_std = gmm_load(params.sigma_at + pj); }
      xyz_std *= xyz_noise_gain(j);
      store_state(xin, j, gmm_init_joint(pj * params.components * GMM_STRIDE, params.components, params.init_mode, xyz,
                                         params.sqrt_a0, params.sqrt_one_minus_a0, xyz_std, run.key, pose, h,
                                         run.hypotheses, j));
    }
    return;
  }
  if (phase == denoise_phases() - 1u) {
    for (var j = lane; live && j < JOINTS; j += lanes) {
      let s = load_state(xin, j);
      let o = (item * JOINTS + j) * 5u;
      state[o] = s.uvxy.x;
      state[o + 1u] = s.uvxy.y;
      state[o + 2u] = s.uvxy.z;
      state[o + 3u] = s.uvxy.w;
      state[o + 4u] = s.z;
    }
    return;
  }
  let ops = net_ops(DENOISER_TABLE);
  let step = (phase - 1u) / (ops + 1u);
  let i = (phase - 1u) % (ops + 1u);
  let a = params.steps[2u * step];
  if (i < ops) {
    // vec4s between consecutive t in `features`: one row per layer.
    run_op(lane, DENOISER_TABLE, u32(a.x) * params.feat_stride4 * params.denoiser_layers, i);
    return;
  }
  let b = params.steps[2u * step + 1u];
  let k = DdimCoefficients(a.y, a.z, a.w, b.x, b.y);
  let xout = net_xout(DENOISER_TABLE);
  for (var j = lane; j < JOINTS; j += lanes) {
    let e = Joint5(s4(xout + 2u * j), s4(xout + 2u * j + 1u).x);
    store_state(xin, j, ddim_step_joint(load_state(xin, j), e, k, run.key, pose, h, j, step));
  }
}
