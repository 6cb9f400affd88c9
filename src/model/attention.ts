import { NUM_JOINTS } from '../pose/skeleton.js';

/**
 * Multi-head self-attention over the 17 joints of each pose, without the projections:
 * qkv [B, 17, 3d] holds Q | K | V channels; head h uses channels [h*dk, (h+1)*dk) of each.
 * out[b, i, h*dk + c] = sum_j softmax_j(Q_i . K_j / sqrt(dk)) V[j, c].
 */
export function attentionRef(qkv: Float32Array, batch: number, d: number, heads: number): Float32Array {
  const J = NUM_JOINTS;
  const dk = d / heads;
  const out = new Float32Array(batch * J * d);
  const scores = new Float64Array(J);
  const scale = 1 / Math.sqrt(dk);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < J; i++) {
        const q = (b * J + i) * 3 * d + h * dk;
        let max = -Infinity;
        for (let j = 0; j < J; j++) {
          const k = (b * J + j) * 3 * d + d + h * dk;
          let s = 0;
          for (let c = 0; c < dk; c++) s += qkv[q + c] * qkv[k + c];
          scores[j] = s * scale;
          if (scores[j] > max) max = scores[j];
        }
        let sum = 0;
        for (let j = 0; j < J; j++) {
          scores[j] = Math.exp(scores[j] - max);
          sum += scores[j];
        }
        for (let c = 0; c < dk; c++) {
          let acc = 0;
          for (let j = 0; j < J; j++) acc += scores[j] * qkv[(b * J + j) * 3 * d + 2 * d + h * dk + c];
          out[(b * J + i) * d + h * dk + c] = acc / sum;
        }
      }
    }
  }
  return out;
}
