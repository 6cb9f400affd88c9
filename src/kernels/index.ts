// Re-exports only: the kernel descriptors, their binding helpers and the descriptor machinery.
export * from './kernel.js';
export * from './run.js';
export { LIB } from './libs.js';
export * from './linear.js';
export * from './graph-mix.js';
export * from './layer-norm.js';
export * from './attention.js';
export * from './step-embedding.js';
export * from './gmm-init.js';
export * from './ddim-step.js';
export * from './root-center.js';
export * from './aggregate.js';
export * from './context-encoder.js';
export * from './heatmap-fit.js';
export { ALL_KERNELS } from './all-kernels.js';
