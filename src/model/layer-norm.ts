/**
 * DiffPose's LayerNorm (not torch.nn.LayerNorm): y = a * (x - mean) / (std + 1e-6) + b with the
 * UNBIASED std over the channels (divide by C - 1) and eps added to the std.
 */
export function layerNormRef(
  x: Float32Array,
  rows: number,
  channels: number,
  gain: Float32Array,
  shift: Float32Array,
): Float32Array {
  const y = new Float32Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < channels; c++) mean += x[r * channels + c];
    mean /= channels;
    let sq = 0;
    for (let c = 0; c < channels; c++) {
      const d = x[r * channels + c] - mean;
      sq += d * d;
    }
    const std = Math.sqrt(sq / (channels - 1));
    for (let c = 0; c < channels; c++)
      y[r * channels + c] = (gain[c] * (x[r * channels + c] - mean)) / (std + 1e-6) + shift[c];
  }
  return y;
}
