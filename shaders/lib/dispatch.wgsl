// Invocation indexing shared by every kernel that maps one invocation to one work item.

// Workgroup size of the kernel; set per pipeline through the `WG_SIZE` override so one shader
// serves CPU drivers (small groups) and GPUs (larger ones) alike.
override WG_SIZE: u32 = 64u;

// Flattens a 1D or 2D dispatch into one invocation index. Big batches need more than
// maxComputeWorkgroupsPerDimension (65535) workgroups, so the host spreads them over y.
fn invocation_index(wg: vec3<u32>, num_wg: vec3<u32>, local_index: u32) -> u32 {
  return (wg.y * num_wg.x + wg.x) * WG_SIZE + local_index;
}
