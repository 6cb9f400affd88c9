// One joint of the diffusion state: the 5 channels (u, v, x, y, z), split so that four of them
// are updated as one vector. The state buffer is [items, 17, 5] f32, joint-major.
struct Joint5 {
  uvxy: vec4<f32>,
  z: f32,
}
