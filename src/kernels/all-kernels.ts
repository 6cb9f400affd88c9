import { AGGREGATE } from './aggregate.js';
import { ATTENTION } from './attention.js';
import { CONTEXT_ENCODER } from './context-encoder.js';
import { DDIM_STEP } from './ddim-step.js';
import { FUSED_KERNELS } from './fused.js';
import { GMM_INIT } from './gmm-init.js';
import { GRAPH_MIX, GRAPH_MIX_VEC4 } from './graph-mix.js';
import { HEATMAP_FIT_KERNEL } from './heatmap-fit.js';
import type { KernelDescriptor } from './kernel.js';
import { LAYER_NORM } from './layer-norm.js';
import { LINEAR_NARROW, LINEAR_VEC4 } from './linear.js';
import { ROOT_CENTER } from './root-center.js';
import { STEP_EMBEDDING } from './step-embedding.js';

/** Every kernel descriptor of the library (the reflection test checks each, and the test- and benchmark-only ones, against its WGSL). */
export const ALL_KERNELS = [
  LINEAR_VEC4,
  LINEAR_NARROW,
  GRAPH_MIX_VEC4,
  GRAPH_MIX,
  LAYER_NORM,
  ATTENTION,
  STEP_EMBEDDING,
  GMM_INIT,
  DDIM_STEP,
  ROOT_CENTER,
  AGGREGATE,
  CONTEXT_ENCODER,
  HEATMAP_FIT_KERNEL,
  ...Object.values(FUSED_KERNELS).flatMap((k) => Object.values(k)),
] as readonly KernelDescriptor<never>[];
