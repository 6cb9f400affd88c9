/**
 * Length units of mocap files. The files do not say their unit reliably (BVH never does, and
 * the CMU collection mixes centimetre BVH with BVH in ASF units), so a clip's unit is chosen
 * from its skeleton: the candidate unit that makes the thigh closest to a typical adult thigh.
 */

/** Acclaim ASF lengths are inches divided by `:units length` (0.45 in CMU and HDM05). */
export function asfMetresPerUnit(lengthUnit: number): number {
  return 0.0254 / lengthUnit;
}

export const LENGTH_UNITS: ReadonlyArray<{ name: string; metres: number }> = [
  { name: 'm', metres: 1 },
  { name: 'cm', metres: 0.01 },
  { name: 'mm', metres: 0.001 },
  { name: 'inch', metres: 0.0254 },
  { name: 'CMU ASF unit (inch / 0.45)', metres: asfMetresPerUnit(0.45) },
];

/** Adult hip-to-knee distance is about 0.35-0.50 m; the middle decides between units. */
const TYPICAL_THIGH_M = 0.42;
export const THIGH_RANGE_M: readonly [number, number] = [0.3, 0.6];

export class UnitError extends Error {
  override name = 'UnitError';
}

/**
 * Picks the unit of a file from its thigh length in file units (closest in ratio to a typical
 * thigh) and checks the result is a human thigh at all.
 */
export function detectLengthUnit(thighInFileUnits: number): { name: string; metres: number } {
  if (!(thighInFileUnits > 0)) throw new UnitError(`thigh length ${thighInFileUnits} is not positive`);
  let best = LENGTH_UNITS[0];
  for (const unit of LENGTH_UNITS) {
    const err = Math.abs(Math.log((thighInFileUnits * unit.metres) / TYPICAL_THIGH_M));
    const bestErr = Math.abs(Math.log((thighInFileUnits * best.metres) / TYPICAL_THIGH_M));
    if (err < bestErr) best = unit;
  }
  checkThigh(thighInFileUnits * best.metres, `thigh of ${thighInFileUnits} file units read as ${best.name}`);
  return best;
}

/** Throws unless a thigh length in metres is within the human range. */
export function checkThigh(thighMetres: number, what: string): void {
  if (!(thighMetres >= THIGH_RANGE_M[0] && thighMetres <= THIGH_RANGE_M[1])) {
    throw new UnitError(`${what}: ${thighMetres.toFixed(3)} m is outside ${THIGH_RANGE_M[0]}-${THIGH_RANGE_M[1]} m`);
  }
}
