// Activations applied after a linear layer's bias (the `act` parameter; see src/model/linear.ts);
// ACT_NONE, ACT_RELU, ACT_SWISH come from the generated prelude (src/kernels/wgsl-constants.ts).

fn activate4(v: vec4<f32>, act: u32) -> vec4<f32> {
  switch act {
    case ACT_RELU: { return max(v, vec4<f32>(0.0)); }
    // x * sigmoid(x); for very negative x, exp overflows to inf and the result is -0, as in the reference.
    case ACT_SWISH: { return v / (1.0 + exp(-v)); }
    default: { return v; }
  }
}

fn activate1(v: f32, act: u32) -> f32 {
  return activate4(vec4<f32>(v), act).x;
}
