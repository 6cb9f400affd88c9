/** The shaders/lib files kernels are composed with (see each file's header for what it needs). */
export const LIB = {
  dispatch: 'lib/dispatch.wgsl',
  run: 'lib/run.wgsl',
  activation: 'lib/activation.wgsl',
  philox: 'lib/philox.wgsl',
  joint5: 'lib/joint5.wgsl',
  ddim: 'lib/ddim.wgsl',
  gmm: 'lib/gmm.wgsl',
  stepEmbedding: 'lib/step-embedding.wgsl',
  math: 'lib/math.wgsl',
} as const;
