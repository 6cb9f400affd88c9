/** Spread (metres) at which a joint is drawn fully red; 0 is green. */
export const SPREAD_RED = 0.15;

/** Green -> yellow -> red as a joint's spread goes from 0 to SPREAD_RED; [r, g, b] in 0..1. */
export function spreadColour(spread: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, spread / SPREAD_RED));
  return t < 0.5 ? [0.2 + 1.6 * t * 0.8, 0.85, 0.35 - 0.4 * t] : [1, 0.85 - 1.5 * (t - 0.5), 0.15];
}

/** What joints are coloured by: the calibrated radius90 (half of it, on the spread's scale) when the weights have one, else the spread. */
export function colourValues(r: { spread: Float32Array; radius90?: Float32Array }): Float32Array {
  return r.radius90 ? r.radius90.map((v) => v / 2) : r.spread;
}

export function cssColour([r, g, b]: [number, number, number]): string {
  return `rgb(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)})`;
}
