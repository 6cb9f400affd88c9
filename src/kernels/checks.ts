import { InputError } from '../errors.js';

/** Throws InputError unless `v` is an integer in [min, 2^32). */
export function checkU32(kernel: string, what: string, v: number, min = 0): number {
  if (!Number.isInteger(v) || v < min || v > 0xffffffff) {
    throw new InputError(`${kernel}: ${what} must be an integer >= ${min}, got ${v}`);
  }
  return v;
}
