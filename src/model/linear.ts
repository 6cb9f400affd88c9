/** Activation applied after a linear layer's bias. */
export type Activation = 'none' | 'relu' | 'swish';

export function activate(v: number, act: Activation): number {
  if (act === 'relu') return v > 0 ? v : 0;
  if (act === 'swish') return v / (1 + Math.exp(-v));
  return v;
}

export interface LinearArgs {
  rows: number;
  cin: number;
  cout: number;
  /** Weights in [cin, cout] layout (torch's [out, in] transposed at load). */
  wt: Float32Array;
  bias: Float32Array;
  act: Activation;
  /** Optional [cout] vector added after the activation to every row (the step-embedding projection). */
  addVec?: Float32Array;
  /** Optional [rows, cout] residual added last. */
  residual?: Float32Array;
}

/** y = act(x @ wt + bias) + addVec + residual, x [rows, cin] -> y [rows, cout]. */
export function linearRef(x: Float32Array, a: LinearArgs): Float32Array {
  const y = new Float32Array(a.rows * a.cout);
  for (let r = 0; r < a.rows; r++) {
    for (let o = 0; o < a.cout; o++) {
      let acc = a.bias[o];
      for (let c = 0; c < a.cin; c++) acc += x[r * a.cin + c] * a.wt[c * a.cout + o];
      let v = activate(acc, a.act);
      if (a.addVec) v += a.addVec[o];
      if (a.residual) v += a.residual[r * a.cout + o];
      y[r * a.cout + o] = v;
    }
  }
  return y;
}
