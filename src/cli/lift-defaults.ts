/**
 * The CLI's default hypotheses per pose: several, so that the output's per-joint spread is a real
 * uncertainty (with one hypothesis it is zero) and the estimate is their mean (better than one
 * sample: README accuracy table, paper init H = 8 vs H = 1). The library's default stays 1.
 */
export const DEFAULT_HYPOTHESES = 8;
