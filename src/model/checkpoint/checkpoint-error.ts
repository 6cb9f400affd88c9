import { DiffPoseError } from '../../errors.js';

/** A PyTorch checkpoint that cannot be read or converted: corrupt, unsupported or unexpected content. */
export class CheckpointError extends DiffPoseError {
  constructor(message: string) { super('CHECKPOINT', message); }
}
