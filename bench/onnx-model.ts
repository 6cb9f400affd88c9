import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPython, torchVersion } from './python.js';

/**
 * The ONNX export of the benchmarked weights (train/export_onnx.py, from the PyTorch model), kept
 * in bench/results/onnx and redone when the weights change.
 */
export function onnxModels(
  weightsPath: string,
  dir: string,
): { lifter: string; denoiser: string } | { missing: string } {
  const sha = createHash('sha256').update(readFileSync(weightsPath)).digest('hex');
  const info = join(dir, 'onnx.json');
  const fresh =
    existsSync(info) && (JSON.parse(readFileSync(info, 'utf8')) as { weights_sha256?: string }).weights_sha256 === sha;
  if (!fresh) {
    const torch = torchVersion();
    if ('missing' in torch)
      return { missing: `no ONNX export of these weights and none can be made: ${torch.missing}` };
    runPython(['train/export_onnx.py', weightsPath, dir]);
  }
  return { lifter: join(dir, 'lifter.onnx'), denoiser: join(dir, 'denoiser.onnx') };
}
