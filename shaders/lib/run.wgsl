// The per-call values, shared by every kernel of a plan. The host writes them once per call into
// a 256-byte slot of one uniform buffer and selects the slot with a dynamic offset, so the
// kernels' own parameters (written once at plan time) never change between calls.
// Mirrored by src/kernels/run.ts.
struct Run {
  // Items processed by the network kernels bound to this slot (17 rows each): the number of
  // poses for the lifter, poses * hypotheses for the denoiser.
  batch: u32,
  // Poses in this call (or chunk of a call).
  poses: u32,
  // Hypotheses per pose.
  hypotheses: u32,
  // Index of this chunk's first pose in the caller's whole batch: the RNG counter's pose word,
  // so that samples never depend on chunking.
  pose_offset: u32,
  // Philox key (the seed).
  key: vec2<u32>,
}

@group(1) @binding(0) var<uniform> run: Run;

// Per-invocation fused entry points (fused-*-lane.wgsl): the rounds of `slots` items in which
// the workgroup whose first slot is `first` has an item. The same for all its invocations (the
// subgroup ops need every lane: a lane past the batch computes junk in its own slot and writes
// nothing), and none past its last item, so a batch just over a multiple of `slots` costs a few
// workgroups' round, not a whole round of every workgroup (257 poses took 2.3x 256 on lavapipe).
fn group_rounds(first: u32, slots: u32) -> u32 {
  if (first >= run.batch) { return 0u; }
  return (run.batch - first + slots - 1u) / slots;
}
