import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXECUTOR_NAMES, MAX_HYPOTHESES } from '../lift-options.js';
import { FORMATS } from '../pose/formats.js';
import { MIN_KEYPOINT_SCORE, MIN_PERSON_SCORE } from '../pose/track-people.js';
import { DEFAULT_HYPOTHESES } from './lift-defaults.js';

const formats = Object.keys(FORMATS).join('|');
const executors = EXECUTOR_NAMES.join('|');

/** `diffpose <command> --help` text per command: every option with its default. */
export const HELP: Record<string, string> = {
  lift: `usage: diffpose lift <input> [-o out.json] [options]

Lifts every person of a 2D keypoint file to 3D (metres, camera frame, root-relative) with
per-joint uncertainty. <input> is recognised from its structure (docs/formats.md):
  OpenPose *_keypoints.json, or a folder of them (frames in file-number order)
  MediaPipe Pose Landmarker results (normalised landmarks; needs the image size)
  COCO / MMPose keypoint results (track_id kept), MMPose predictions ({"instance_info"})
  plain JSON {imageSize, format, fps, frames: [...]} (one or several people per frame)
  CSV "frame,person,x0,y0,s0,..." (# format: / # imageSize: / # fps: comment lines)
Missing keypoints ((0, 0, 0), score 0, NaN/null) are filled in from the rest of the skeleton
with confidence 0; they never pull the pose towards (0, 0).

input:
  --format F              keypoint order: ${formats}
                          (default: what the file says or its layout implies; 17 keypoints
                          without a format: the order the skeleton fits, COCO or Human3.6M)
  --image-size WxH        image size in pixels (default: the file's; COCO, OpenPose and
                          MediaPipe files do not carry it, so it is needed for them)
  --normalised            coordinates are in [0, 1] of the image: scale them by the image size
                          (MediaPipe landmarks are scaled anyway)
  --fps N                 frames per second, for the output's timestamps; under 25 the temporal
                          model reads the 2D upsampled in time to about 30 (default: the file's
                          or its timestamps'; else taken as 30)
  --track auto|ids|boxes  people across frames: by the file's person ids (CSV person column,
                          track_id, OpenPose person_id, plain JSON id) or by box positions
                          (default auto: ids when every detection has one)
  --min-person-score S    drop detections scoring under S (the file's person score, else the
                          mean keypoint score) (default ${MIN_PERSON_SCORE})
  --min-keypoint-score S  keypoints scoring under S count as missing (default ${MIN_KEYPOINT_SCORE})
  --stream                read a CSV as it streams, with bounded memory (default: for CSV files
                          over 32 MiB); its rows must be in frame order
model:
                          every person's frames are lifted as a sequence by the temporal model
                          (docs/temporal-model.md), each frame seeing 13 frames before and after it
  --causal                the temporal model's live window: only the 26 frames before each frame
  --frame-model           lift every frame alone (the frame model)
  --hypotheses N          hypotheses per pose, 1-${MAX_HYPOTHESES}; their spread is the uncertainty (default ${DEFAULT_HYPOTHESES};
                          with 1 the output has no spread)
  --timesteps 12,0        DDIM steps, strictly decreasing (default 12,0)
  --init paper|official   start of the reverse process (default paper)
  --seed S                random seed, integer >= 0 (default 0)
  --eta E                 DDIM stochasticity in [0, 1] (default 0)
  --samples               also write every hypothesis
  --weights FILE          weights .safetensors (default: the bundled weights/diffpose.safetensors)
  --temporal-weights FILE temporal model (default: the bundled weights/diffpose-temporal.safetensors
                          when --weights is not given; with --weights, none unless given)
  --executor E            ${executors}
                          (default fused on a GPU, per-op when the model does not fit it)
  --cpu                   run on the CPU (the TypeScript reference; no GPU needed)
  --aggregate mean|reprojection
                          one pose from the hypotheses: their mean, or per joint the one that
                          reprojects nearest the 2D (default mean)
  --focal PX              focal length in pixels for the root trajectory (default: the larger
                          image side)
output:
  -o, --output FILE       write the JSON here (its folder is created; written whole or not at
                          all, also on Ctrl-C); default stdout
  --bvh FILE              also write the motion as BVH (one file per person: FILE, or
                          FILE-<id> for several): constant bones, rotations, root trajectory
  --gltf FILE             the same as binary glTF (.glb): joint nodes, a skin, one animation
  --verbose               stack traces on errors, and Dawn's adapter warnings
  -h, --help              this text`,
  info: `usage: diffpose info [--weights FILE] [--cpu]

The WebGPU adapter, its key limits and the model config.
  --weights FILE   weights .safetensors (default: the bundled weights)
  --cpu            no GPU: only the model config`,
  convert: `usage: diffpose convert <denoiser.pth> <out.safetensors> --lifter <lifter.pth> [options]

Converts the DiffPose authors' PyTorch checkpoints to the engine's weights.
  --lifter FILE        the lifter checkpoint (not needed when the first file holds both networks)
  --denoiser FILE      the denoiser checkpoint, instead of the first argument
  --heads N            the denoiser's attention heads (default 4, the released value)
  --lifter-heads N     the lifter's attention heads (default: as --heads)
  --ema                take the EMA weights of a training checkpoint (default: the raw weights)`,
  eval: `usage: diffpose eval [options]

MPJPE / P-MPJPE on the fixed test split (needs diffpose prepare-data first).
  --data DIR        prepared data folder (default data/prepared)
  --weights FILE    weights .safetensors (default: the bundled weights)
  --hypotheses N    hypotheses per pose (default 8)
  --limit N         only the first N test examples, evenly spread (default: all)
  --executor E      ${executors} (default per-op)
  --cpu             run on the CPU
  --seed S          random seed (default 0)
  --json FILE       also write the results as JSON
  --svg FILE        the radius90 reliability diagram (calibrated weights: coverage is printed)
  --temporal        instead: video, on fixed test tracks (64 frames, one camera each, detector error
                    correlated in time): the frame model, it smoothed (moving average, One-Euro),
                    and the temporal model's offline and causal windows; MPJPE, P-MPJPE, velocity
                    and acceleration errors, upper body with every joint and with the legs hidden
                    (executor default fused)
  --tracks N        with --temporal: only N test tracks, evenly spread (default: all)
  --heatmaps K      instead: the test split from simulated ambiguous detector heatmaps (left/right
                    confusions, wide blobs for occluded joints), lifted from the mixtures fitted
                    with one component per joint and with K (<= 5): MPJPE of the mean, best of H,
                    spread-error correlation
  --temporal-weights FILE  with --temporal and --weights: the temporal model`,
  calibrate: `usage: diffpose calibrate -o out.safetensors [options]

Fits the calibrated per-joint error radius radius90 (the radius that holds the true joint with
probability 0.9) on a validation set from the TRAINING split (every Nth frame, other people's body
proportions, its own cameras and detector noise; never the test split), with 30 of its tracks
seen through a picture cut above the knees, and writes the weights with it in their metadata.
A joint's radius comes from the lower of its own and the pelvis' and hips' 2D confidences.
Frame weights first get the paper init's per-joint xyz noise gains (config
diffusion.xyzNoiseGain) fitted on the same examples, so that each joint's spread follows its
error (2 rounds of H = 8 lifts).
  --weights FILE    weights to calibrate (default: the bundled weights)
  --keep-noise-gains  frame weights: keep their noise gains (the radii alone refitted; their
                    lifts stay as they are)
  -o, --output FILE the calibrated weights
  --data DIR        prepared data folder (default data/prepared)
  --stride N        every Nth training frame (default 20)
  --temporal        instead: the temporal model, from sequence lifts of 64-frame training-split
                    tracks (offline and causal windows, each its own fit)
  --temporal-weights FILE  with --temporal: the temporal file to calibrate (default: the bundled one)
  --tracks N        with --temporal: N tracks, evenly spread (default 60)
  --executor E      ${executors} (default fused)
  --cpu             run on the CPU`,
  'prepare-data': `usage: diffpose prepare-data [--mocap DIR] [--out DIR]

Motion-capture clips -> data/prepared/{train,test}.safetensors.
  --mocap DIR   the CMU / HDM05 clips (default ../shared/data/mocap beside the repository)
  --out DIR     output folder (default data/prepared in the repository)`,
};

export const USAGE = `usage: diffpose <command> [options]     (diffpose <command> --help for its options)

commands:
  lift <input> [-o out.json]   2D keypoints (OpenPose, MediaPipe, COCO/MMPose, JSON, CSV) -> 3D poses
  info                         adapter, limits, model config
  convert <denoiser.pth> <out.safetensors> --lifter <lifter.pth>   authors' checkpoints -> weights
  eval                         accuracy on the test split (needs prepare-data)
  calibrate -o out.safetensors fit radius90 on a validation set from the training split
  prepare-data                 mocap clips -> data/prepared
options for every command: --verbose (stack traces), -h/--help; diffpose --version`;

/** The package's version (package.json above this file, from src/ and dist/src/). */
export function packageVersion(): string {
  return JSON.parse(readFileSync(join(repositoryRoot(), 'package.json'), 'utf8')).version as string;
}

/** The nearest folder above this file holding package.json (works from src/ and dist/src/). */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above src/cli)');
    dir = up;
  }
  return dir;
}
