import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { WeightsError } from '../../src/errors.js';
import type { NetworkConfig } from '../../src/model/config.js';
import { checkProgram, networkProgram, programMacs, programOf } from '../../src/model/network-program.js';
import { parseModelWeights } from '../../src/model/weights.js';
import { smallWeights } from '../helpers/models.js';

/** The multiply-add count in closed form (how bench/arithmetic.ts counted before the op program). */
function closedFormMacs(c: NetworkConfig, withStep: boolean): number {
  const J = 17,
    K = 3,
    d = c.hidden;
  const cheb = (cin: number, cout: number) => K * J * J * cin + J * K * cin * cout;
  const attention = J * d * 3 * d + 2 * J * J * d + J * d * d;
  const feedForward = J * J * d + J * d * 2 * d + J * J * 2 * d + J * 2 * d * d;
  const gconv = 2 * cheb(d, d) + (withStep ? 4 * d * d : 0);
  const embedding = withStep ? d * 4 * d + 4 * d * 4 * d : 0;
  return cheb(c.coordsIn, d) + c.layers * (attention + feedForward + gconv) + cheb(d, c.coordsOut) + embedding;
}

describe('network op program', () => {
  const shipped = parseModelWeights(
    new Uint8Array(readFileSync(new URL('../../weights/diffpose.safetensors', import.meta.url))),
  );
  const small = parseModelWeights(smallWeights());

  it('has 13 ops per layer plus the input and output Chebyshev convolutions, ending in the output slot', () => {
    for (const w of [shipped, small]) {
      for (const net of [w.lifter, w.denoiser]) {
        const p = programOf(net);
        expect(p.ops).to.have.length(4 + 13 * net.config.layers);
        expect(p.ops[0]).to.include({ kind: 'mix', x: 'in' });
        expect(p.ops[p.ops.length - 1]).to.include({ kind: 'linear', y: 'out' });
        expect(programOf(net), 'built once').to.equal(p);
      }
      expect(programOf(w.lifter).step).to.equal(undefined);
      expect(programOf(w.denoiser).step!.projections).to.have.length(w.config.denoiser.layers);
      expect(programOf(w.denoiser).ops.filter((o) => o.kind === 'linear' && o.step !== undefined)).to.have.length(
        w.config.denoiser.layers,
      );
    }
  });

  it('counts the multiply-adds of the closed form (14.7 M per pose at H = 1, [12, 0] on the shipped model)', () => {
    for (const w of [shipped, small]) {
      expect(programMacs(programOf(w.lifter))).to.equal(closedFormMacs(w.config.lifter, false));
      expect(programMacs(programOf(w.denoiser))).to.equal(closedFormMacs(w.config.denoiser, true));
    }
    const perPose = programMacs(programOf(shipped.lifter)) + 2 * programMacs(programOf(shipped.denoiser));
    expect((perPose / 1e6).toFixed(1)).to.equal('14.7');
  });

  it('lists every tensor once, the shared Chebyshev basis among them', () => {
    const p = programOf(small.denoiser);
    expect(new Set(p.tensors).size).to.equal(p.tensors.length);
    const d = small.denoiser;
    for (const a of [
      d.input.wt,
      d.output.bias,
      d.atten[1].lhat,
      d.atten[0].norm1.gain,
      d.gconv[1].tembProj!.wt,
      d.temb!.dense1.bias,
    ]) {
      expect(p.tensors).to.include(a);
    }
  });

  it('refuses a program whose shapes disagree, naming the op', () => {
    const p = networkProgram(small.lifter);
    const bad = {
      ...p,
      ops: p.ops.map((o, i) =>
        i === 5 && o.kind === 'linear' ? { ...o, w: { ...o.w, bias: new Float32Array(3) } } : o,
      ),
    };
    expect(() => checkProgram(bad)).to.throw(
      WeightsError,
      /network op "L0 attention out": bias has 3 values, expected 16/,
    );
    const early = { ...p, ops: p.ops.slice(2) };
    expect(() => checkProgram(early)).to.throw(WeightsError, /reads slot h0 before anything writes it/);
    const unfinished = { ...p, ops: p.ops.slice(0, -1) };
    expect(() => checkProgram(unfinished)).to.throw(WeightsError, /the last op must write the output/);
  });
});
