import { MAX_CALIBRATION_BANDS } from '../model/calibration.js';
import { GMM_STRIDE } from '../model/gmm-init.js';
import { HEATMAP_FIT } from '../model/heatmap-fit.js';
import { RNG_STREAM } from '../model/philox.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { ENCODER_INPUTS, FUSE_MAX_TAPS } from '../temporal/encoder-config.js';
import { BLK, ENC, LAY } from '../temporal/encoder-plan.js';

/**
 * Numbers the TypeScript and the WGSL share, declared once: here, or in the model module they
 * belong to (GMM_STRIDE, RNG_STREAM). wgslPrelude() turns them into
 * WGSL `const`s that kernelSource() puts in front of every kernel, so no .wgsl file declares them
 * by hand (test/kernels/wgsl-constants.test.ts fails on one that does).
 */

/** f32 per output pose of the aggregation's `uv` with an output average: the 2D [17, 2], the track's first and last state pose, a stream's frame and ring row. */
export const FUSE_RECORD = 2 * NUM_JOINTS + 4;
/** vec4s of the output average's weights [FUSE_MAX_TAPS, 17] in the aggregation's uniform. */
export const FUSE_VEC4S = Math.ceil((FUSE_MAX_TAPS * NUM_JOINTS) / 4);

/** Rows per activation buffer in a fused scratch slot: 17 joints padded to a multiple of 4. */
export const FUSED_ROWS = 20;

/** The fused kernels' uniform (shaders/fused/params.wgsl, packed by schedule/fused-params.ts). */
export const FUSED_LAYOUT = {
  /** u32s of one network's op table. */
  tableU32PerNet: 2048,
  /** u32s of a table's header: op count, XIN, XOUT, unused. */
  netHeaderU32: 4,
  /** u32s per op in a table. */
  opU32: 12,
  /** Reverse steps the uniform holds (2 vec4 each). */
  maxSteps: 64,
  /** Byte offset of the lifter's table in the uniform (after 13 u32 / f32 scalars, vec4-aligned). */
  tableOffset: 64,
} as const;

/** Lanes per subgroup of the subgroup forms of the fused kernels (fused/ops-subgroup.wgsl), and their workgroup size. */
export const SUBGROUP_LANES = 8;
/** The joints rounded up to whole 3-row blocks (subgroup linear) and 6-row blocks (subgroup mix). */
export const SUBGROUP_ROWS = Math.ceil(NUM_JOINTS / 6) * 6;

/** Op codes of the fused tables (fused/network.wgsl run_op). */
export const FUSED_OP = { linear: 1, mix: 2, norm: 3, attention: 4, film: 5 } as const;
/** Activation codes (lib/activation.wgsl, fused/coop-ops.wgsl). */
export const ACTIVATION_CODE = { none: 0, relu: 1, swish: 2 } as const;
/** "No such input" in u32 fields: no residual, no step term. */
export const NONE_U32 = 0xffffffff;
/** FusedParams.input_kind: normalised uv written by the host, a caller's pixels normalised on the GPU, or a heatmap fit's uv and mixtures. */
export const INPUT_KIND = { uv: 0, pixels: 1, mixture: 2 } as const;
/** Init modes of the reverse process (src/model/gmm-init.ts InitMode, lib/gmm.wgsl). */
export const INIT_MODE = { official: 0, paper: 1 } as const;
/** { inputW: 6 } -> { ENC_INPUT_W: 6 }: a table layout's fields by their WGSL names. */
function prefixed(prefix: string, fields: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [`${prefix}_${k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`, v]),
  );
}

/** Every shared number by its WGSL name, all u32. */
export const WGSL_CONSTANTS: Readonly<Record<string, number>> = {
  // The context encoder's plan table (src/temporal/encoder-plan.ts, context-encoder.wgsl).
  ...prefixed('ENC', ENC),
  ...prefixed('BLK', BLK),
  ...prefixed('LAY', LAY),
  ENC_INPUTS: ENCODER_INPUTS,
  JOINTS: NUM_JOINTS,
  // vec4s of one value per joint (the fused uniform's xyz noise gains).
  JOINT_VEC4S: Math.ceil(NUM_JOINTS / 4),
  FUSE_RECORD,
  FUSE_VEC4S,
  CAL_BANDS: MAX_CALIBRATION_BANDS,
  ROWS: FUSED_ROWS,
  NONE: NONE_U32,
  ACT_NONE: ACTIVATION_CODE.none,
  ACT_RELU: ACTIVATION_CODE.relu,
  ACT_SWISH: ACTIVATION_CODE.swish,
  TABLE_U32_PER_NET: FUSED_LAYOUT.tableU32PerNet,
  LIFTER_TABLE: 0,
  DENOISER_TABLE: FUSED_LAYOUT.tableU32PerNet,
  TABLE_VEC4S: (2 * FUSED_LAYOUT.tableU32PerNet) / 4,
  MAX_FUSED_STEPS: FUSED_LAYOUT.maxSteps,
  STEP_VEC4S: 2 * FUSED_LAYOUT.maxSteps,
  NET_COUNT: 0,
  NET_XIN: 1,
  NET_XOUT: 2,
  NET_OPS: FUSED_LAYOUT.netHeaderU32,
  OP_U32: FUSED_LAYOUT.opU32,
  OP_LINEAR: FUSED_OP.linear,
  OP_MIX: FUSED_OP.mix,
  OP_NORM: FUSED_OP.norm,
  OP_ATTN: FUSED_OP.attention,
  OP_FILM: FUSED_OP.film,
  INPUT_UV: INPUT_KIND.uv,
  INPUT_PIXELS: INPUT_KIND.pixels,
  INPUT_MIXTURE: INPUT_KIND.mixture,
  INIT_OFFICIAL: INIT_MODE.official,
  INIT_PAPER: INIT_MODE.paper,
  GMM_STRIDE,
  RNG_STREAM_COMPONENT: RNG_STREAM.component,
  RNG_STREAM_INIT_UV: RNG_STREAM.initUv,
  RNG_STREAM_INIT_XYZ: RNG_STREAM.initXyz,
  RNG_STREAM_DDIM_BASE: RNG_STREAM.ddimBase,
  SG_LANES: SUBGROUP_LANES,
  SG_ROWS: SUBGROUP_ROWS,
  // The heatmap fit (src/model/heatmap-fit.ts, heatmap-fit.wgsl): lanes per workgroup, components,
  // EM steps, and the per-lane sums (5 per component; the first pass uses 3).
  HEATMAP_LANES: HEATMAP_FIT.lanes,
  HEATMAP_MAX_COMPONENTS: HEATMAP_FIT.maxComponents,
  HEATMAP_ITERATIONS: HEATMAP_FIT.iterations,
  HEATMAP_SUMS: 5 * HEATMAP_FIT.maxComponents,
};

/** The WGSL declarations of WGSL_CONSTANTS, put in front of every kernel by kernelSource(). */
export function wgslPrelude(): string {
  const lines = Object.entries(WGSL_CONSTANTS).map(([name, v]) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`WGSL constant ${name} = ${v} is not a u32`);
    return `const ${name}: u32 = ${v >= 0x10000 ? `0x${v.toString(16)}` : v}u;`;
  });
  return ['// ---- generated prelude (src/kernels/wgsl-constants.ts) ----', ...lines, ''].join('\n');
}
