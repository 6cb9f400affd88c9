import { DiffPoseError } from '../../errors.js';
import { printable } from '../printable.js';

const MAX_MESSAGE = 1000;

/**
 * A PyTorch checkpoint that cannot be read or converted: corrupt, unsupported or unexpected content.
 * Messages quote names from the file, so they are made one printable line (control characters
 * escaped) and cut to a sane length here, whatever the file holds.
 */
export class CheckpointError extends DiffPoseError {
  constructor(message: string) {
    super('CHECKPOINT', printable(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message));
  }
}
