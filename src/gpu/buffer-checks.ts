import { InputError } from '../errors.js';
import type { BufferLift } from '../schedule/fused-executor.js';

/** The caller's buffers of a GPU-resident lift, checked before any GPU work. */
export function checkBuffers(
  req: Pick<BufferLift, 'keypoints' | 'poses' | 'spread' | 'root' | 'radius90' | 'sigma'>,
  count: number,
): void {
  if (!Number.isInteger(count) || count < 1) throw new InputError(`count must be a positive integer, got ${count}`);
  const check = (buffer: GPUBuffer | undefined, name: string, floats: number, copied = false) => {
    if (!buffer) return;
    if (typeof buffer.size !== 'number' || typeof buffer.usage !== 'number')
      throw new InputError(`${name} must be a GPUBuffer`);
    // sigma is copied out of the plan's lifter output; the others are written by the dispatches.
    if (copied && !(buffer.usage & GPUBufferUsage.COPY_DST))
      throw new InputError(`${name} needs GPUBufferUsage.COPY_DST`);
    if (!copied && !(buffer.usage & GPUBufferUsage.STORAGE))
      throw new InputError(`${name} needs GPUBufferUsage.STORAGE`);
    if (buffer.size < floats * 4)
      throw new InputError(`${name} has ${buffer.size} bytes, ${count} poses need ${floats * 4}`);
  };
  if (!req.keypoints || !req.poses) throw new InputError('keypoints and poses buffers are required');
  check(req.keypoints, 'keypoints', count * 17 * 3);
  check(req.poses, 'poses', count * 17 * 3);
  check(req.spread, 'spread', count * 17);
  check(req.root, 'root', count * 3);
  check(req.radius90, 'radius90', count * 17);
  check(req.sigma, 'sigma', count * 17, true);
  const given = [req.keypoints, req.poses, req.spread, req.root, req.radius90, req.sigma].filter(
    (b) => b !== undefined,
  );
  if (new Set(given).size !== given.length)
    throw new InputError('keypoints, poses, spread, root, radius90 and sigma must be different buffers');
}
