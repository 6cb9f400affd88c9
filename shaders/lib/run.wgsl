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
