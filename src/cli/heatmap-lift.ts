import { DiffPose } from '../diffpose.js';
import { InputError } from '../errors.js';
import type { LiftOptions } from '../lift-options.js';
import { HEATMAP_FIT, MAX_TARGET_SIGMA } from '../model/heatmap-fit.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { flagInt, flagNumber, flagString, type ParsedArgs } from './args.js';
import { readHeatmapFile } from './heatmap-file.js';
import { round } from './lift-output.js';
import { writeOutputFile } from './write-file.js';

/**
 * `diffpose lift heatmaps.npy|.safetensors`: each of the file's N entries [K, h, w] is one
 * person's heatmaps (docs/formats.md "heatmaps"), lifted with the frame model from the mixtures
 * fitted to them (--components; --target-sigma PX: the detector's training-target std in heatmap
 * pixels, default 2, 0: none). Boxes from the safetensors tensor "boxes" or --boxes FILE.npy;
 * without, every person's maps cover the whole image (a bottom-up detector's).
 */
export async function heatmapLiftCommand(
  args: ParsedArgs,
  input: string,
  options: LiftOptions,
  log: (s: string) => void,
): Promise<void> {
  for (const flag of ['stream', 'track', 'causal', 'bvh', 'gltf', 'normalised', 'fps'])
    if (args.flags.has(flag)) throw new InputError(`--${flag} is for keypoint files, not heatmaps`);
  const { heatmaps, boxes } = await readHeatmapFile(input, flagString(args, 'boxes'));
  const [n, , h, w] = heatmaps.shape;
  const [iw, ih] = options.imageSize;
  const components = flagInt(args, 'components');
  const targetSigma = flagNumber(args, 'target-sigma', 0, MAX_TARGET_SIGMA);
  const hm = {
    width: w,
    height: h,
    components,
    targetSigma,
    boxes: boxes?.data ?? new Float32Array(n * 4).map((_, i) => [0, 0, iw, ih][i % 4]),
  };
  log(
    `read ${input}: ${n} people's heatmaps ${heatmaps.shape.slice(1).join(' x ')}, format ${options.format}, image ${iw}x${ih}${boxes ? '' : ', boxes: the whole image'}`,
  );
  const model = await DiffPose.load({
    weights: flagString(args, 'weights'),
    backend: args.flags.has('cpu') || options.executor === 'cpu' ? 'cpu' : 'gpu',
    temporalWeights: null,
  });
  try {
    const gmm = await model.fitHeatmaps(heatmaps.data, { ...hm, format: options.format, executor: options.executor });
    const r = await model.lift([], { ...options, format: 'h36m17', gmm });
    const K = gmm.components;
    const people = Array.from({ length: n }, (_, i) => {
      const at = (a: Float32Array, width: number) => round(a.subarray(i * width, (i + 1) * width));
      return {
        index: i,
        joints: at(r.poses, NUM_JOINTS * 3),
        spread: at(r.spread, NUM_JOINTS),
        root: Array.from(r.root.subarray(i * 3, i * 3 + 3)).every(Number.isFinite) ? at(r.root, 3) : undefined,
        radius90: r.radius90 ? at(r.radius90, NUM_JOINTS) : undefined,
        sigma: r.sigma ? at(r.sigma, NUM_JOINTS) : undefined,
        samples: r.samples ? at(r.samples, r.hypotheses * NUM_JOINTS * 3) : undefined,
        gmm: {
          weights: at(gmm.weights, NUM_JOINTS * K),
          means: at(gmm.means, NUM_JOINTS * K * 2),
          sigmas: at(gmm.sigmas, NUM_JOINTS * K * 2),
        },
      };
    });
    const doc = {
      input,
      imageSize: [iw, ih],
      format: options.format,
      heatmaps: { width: w, height: h, components: K, targetSigma: targetSigma ?? HEATMAP_FIT.targetSigma },
      hypotheses: r.hypotheses,
      timesteps: r.timesteps,
      executor: r.executor,
      units: 'metres',
      people,
    };
    const output = flagString(args, 'output');
    const text = JSON.stringify(doc) + '\n';
    if (output) await writeOutputFile(output, text, log);
    else process.stdout.write(text);
  } finally {
    model.dispose();
  }
}
