/// <reference types="@webgpu/types" preserve="true" />
export {
  DiffPose,
  DeviceEvent,
  type LoadOptions,
  type LiftResult,
  type LiftResultFor,
  type BufferLiftRequest,
  type SequenceOptions,
  type SequenceTrack,
} from './diffpose.js';
export {
  DiffPoseStream,
  type StreamOptions,
  type StreamPushOptions,
  type StreamFrame,
  type StreamBufferPush,
  type TrackId,
} from './temporal/stream.js';
export { movingAverage, OneEuroFilter, oneEuro } from './temporal/smoothing.js';
export { MAX_BRIDGED_GAP, jumps } from './temporal/track-gaps.js';
export { TEMPORAL_FPS, upsampleFactor } from './temporal/frame-rate.js';
export type { LiftOptions, ExecutorName } from './lift-options.js';
export type { CallStats } from './executor.js';
export type { PassTime } from './gpu/pass-timer.js';
export { MAX_HYPOTHESES } from './lift-options.js';
export type { GmmInput } from './pose/input.js';
export { sigmaFromConfidence, MAX_OUTSIDE_IMAGE, MAX_OUTSIDE_IMAGE_UNDETECTED } from './pose/input.js';
export { gmmKeypoints, mixtureConfidence } from './pose/heatmaps.js';
export { H36M_JOINTS, H36M_BONES } from './pose/skeleton.js';
export { FORMATS, type FormatName } from './pose/formats.js';
export type { ModelConfig, NetworkConfig, DiffusionConfig } from './model/config.js';
export { DiffPoseError, InputError, WeightsError, NoAdapterError, GpuError, AbortedError } from './errors.js';
// Detector files (COCO / MMPose results, OpenPose, MediaPipe, plain JSON, CSV) to tracks, as the CLI reads them.
export { readKeypointText, readOpenPoseFolder } from './pose/read-keypoints.js';
export { openCsvStream, type KeypointStream } from './pose/keypoint-stream.js';
export { fillMissingJoints, markFarKeypoints, type PreparedKeypoints } from './pose/missing-joints.js';
export { trackPeople, PeopleTracker, type KeypointTrack, type TrackMode } from './pose/track-people.js';
export { sanityWarnings } from './pose/sanity.js';
export type { KeypointFile, Detection, FrameDetections, ReadOptions } from './pose/keypoint-file.js';
export { fitRoots, uvCamera, type Intrinsics } from './pose/root-trajectory.js';
