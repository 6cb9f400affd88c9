import type { Calibration } from '../model/calibration.js';
import type { ModelWeights } from '../model/weights.js';
import type { EncoderMode } from './encoder-config.js';
import type { EncoderParams, TemporalWeights } from './temporal-weights.js';

/**
 * A temporal weights file as the executors see a model: its lifter and FiLM-conditioned denoiser
 * (ModelWeights, so every executor's plan is made the same way) plus the two context encoders.
 */
export interface TemporalModel extends ModelWeights {
  encoders: Record<EncoderMode, EncoderParams>;
  /** radius90 per window (`calibration` is the offline one). */
  calibrations: Record<EncoderMode, Calibration | undefined>;
}

export function temporalModel(w: TemporalWeights): TemporalModel {
  const { lifter, denoiser, diffusion } = w.config;
  return {
    config: { format: 1, joints: 17, skeleton: 'h36m17', lifter, denoiser, diffusion },
    lifter: w.lifter,
    denoiser: w.denoiser,
    metadata: w.metadata,
    calibration: w.calibration,
    calibrations: { offline: w.calibration, causal: w.causalCalibration ?? w.calibration },
    encoders: w.encoders,
  };
}

export function isTemporal(model: ModelWeights): model is TemporalModel {
  return 'encoders' in model;
}

/** The calibration of a lift: the frame model's, or the temporal model's for the window `mode`. */
export function calibrationFor(model: ModelWeights, mode: EncoderMode | undefined): Calibration | undefined {
  return isTemporal(model) && mode ? model.calibrations[mode] : model.calibration;
}

/** A v2 file (docs/temporal-model.md §12): start from the window's lifter outputs, output averaged. */
export function isV2(model: TemporalModel): boolean {
  return model.encoders.offline.fuse !== undefined || model.encoders.causal.fuse !== undefined;
}
