import { expect } from 'chai';
import { WeightsError } from '../../src/errors.js';
import type { ModelConfig } from '../../src/model/config.js';
import { randomWeightsFile } from '../../src/model/random-weights.js';
import { parseSafetensors } from '../../src/model/safetensors.js';
import { parseModelWeights } from '../../src/model/weights.js';

const SMALL: ModelConfig = {
  format: 1,
  joints: 17,
  skeleton: 'h36m17',
  lifter: { hidden: 8, layers: 1, heads: 2, coordsIn: 2, coordsOut: 3 },
  denoiser: { hidden: 8, layers: 2, heads: 2, coordsIn: 5, coordsOut: 5 },
  diffusion: { betaStart: 1e-4, betaEnd: 1e-3, numSteps: 51 },
};

/** Splits a safetensors file into its header object and data section, to build broken variants. */
function explode(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))), data: bytes.subarray(8 + len) };
}

function assemble(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const text = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function expectWeightsError(bytes: Uint8Array, pattern: RegExp): void {
  expect(() => parseModelWeights(bytes)).to.throw(WeightsError, pattern);
}

describe('weights loader', () => {
  const good = randomWeightsFile(SMALL, 7);

  it('loads a valid file and lays out fused QKV and transposed linears', () => {
    const w = parseModelWeights(good);
    expect(w.config).to.deep.equal(SMALL);
    expect(w.denoiser.atten).to.have.length(2);
    const file = parseSafetensors(good);
    const q = file.tensors.get('denoiser.atten_layers.1.self_attn.linears.0.weight')!; // [out, in]
    const v = file.tensors.get('denoiser.atten_layers.1.self_attn.linears.2.weight')!;
    const qkv = w.denoiser.atten[1].qkv;
    // wt is [in, 3*out]: column o of Q is row o of torch's weight.
    expect(qkv.wt[3 * 8 * 5 + 2]).to.equal(q.data[2 * 8 + 5]);
    expect(qkv.wt[3 * 8 * 4 + 16 + 7]).to.equal(v.data[7 * 8 + 4]);
    expect(w.lifter.temb).to.equal(undefined);
    expect(w.denoiser.gconv[0].tembProj?.cin).to.equal(32);
  });

  it('rejects a file shorter than the header length field', () => {
    expectWeightsError(good.subarray(0, 5), /truncated/);
  });

  it('rejects a header length that runs past the end of the file', () => {
    const { header } = explode(good);
    const bytes = assemble(header, new Uint8Array(0));
    expectWeightsError(bytes.subarray(0, bytes.length - 10), /header length .* does not fit/);
  });

  it('rejects a file truncated inside the data, naming the tensor', () => {
    expectWeightsError(good.subarray(0, good.length - 100), /tensor "denoiser\.[^"]*": data ends .*truncated/);
  });

  it('rejects a header that is not JSON', () => {
    expectWeightsError(assemble(null, new Uint8Array(0), '{"a": [1, 2'), /not valid JSON/);
  });

  it('rejects an unsupported dtype, naming the tensor', () => {
    const { header, data } = explode(good);
    header['lifter.gconv_input.bias'].dtype = 'I32';
    expectWeightsError(assemble(header, data), /tensor "lifter.gconv_input.bias": dtype "I32"/);
  });

  it('rejects a tensor whose shape disagrees with the config', () => {
    const { header, data } = explode(good);
    const t = header['denoiser.gconv_layers.0.temb_proj.weight'];
    t.shape = [t.shape[1], t.shape[0]];
    expectWeightsError(
      assemble(header, data),
      /tensor "denoiser.gconv_layers.0.temb_proj.weight" has shape \[32,8\] but the config implies \[8,32\]/,
    );
  });

  it('loads a confidence-reading lifter (coordsIn 3); refuses other input widths and a config its tensors do not fit', () => {
    const wide = randomWeightsFile({ ...SMALL, lifter: { ...SMALL.lifter, coordsIn: 3 } }, 7);
    expect(parseModelWeights(wide).config.lifter.coordsIn).to.equal(3);
    expectWeightsError(
      withLifterConfig(good, { coordsIn: 4 }),
      /"lifter" must map 2 or 3 -> 3 or 4 coordinates, got 4 -> 3/,
    );
    expectWeightsError(
      withLifterConfig(good, { coordsIn: 3 }),
      /tensor "lifter.gconv_input.weight" has shape \[3,1,2,8\] but the config implies \[3,1,3,8\]/,
    );
  });

  it('loads a lifter that predicts its error (coordsOut 4); refuses other output widths and a config its tensors do not fit', () => {
    const sigma = randomWeightsFile({ ...SMALL, lifter: { ...SMALL.lifter, coordsOut: 4 } }, 7);
    expect(parseModelWeights(sigma).config.lifter.coordsOut).to.equal(4);
    expectWeightsError(
      withLifterConfig(good, { coordsOut: 5 }),
      /"lifter" must map 2 or 3 -> 3 or 4 coordinates, got 2 -> 5/,
    );
    expectWeightsError(
      withLifterConfig(good, { coordsOut: 4 }),
      /tensor "lifter.gconv_output.weight" has shape \[3,1,8,3\] but the config implies \[3,1,8,4\]/,
    );
  });

  it("reads the paper init's per-joint xyz noise gains; refuses a wrong count, zero, negative or huge gains", () => {
    const gains = Array.from({ length: 17 }, (_, j) => 0.6 + 0.05 * j);
    expect(parseModelWeights(withDiffusion(good, { xyzNoiseGain: gains })).config.diffusion.xyzNoiseGain).to.deep.equal(
      gains,
    );
    expect(parseModelWeights(good).config.diffusion.xyzNoiseGain).to.equal(undefined);
    for (const bad of [gains.slice(1), [...gains.slice(1), 0], [...gains.slice(1), -1], [...gains.slice(1), 1e3], 'x'])
      expectWeightsError(
        withDiffusion(good, { xyzNoiseGain: bad }),
        /"diffusion.xyzNoiseGain" must be 17 numbers in \(0, 100\]/,
      );
  });

  it('rejects a missing tensor', () => {
    const { header, data } = explode(good);
    delete header['denoiser.atten_layers.1.feed_forward.A_hat'];
    expectWeightsError(assemble(header, data), /missing tensor "denoiser.atten_layers.1.feed_forward.A_hat"/);
  });

  it('rejects tensors of more layers than the config declares', () => {
    const { header, data } = explode(good);
    const grown = new Uint8Array(data.length + 17 * 17 * 4);
    grown.set(data);
    header['denoiser.atten_layers.2.feed_forward.A_hat'] = {
      dtype: 'F32',
      shape: [17, 17],
      data_offsets: [data.length, grown.length],
    };
    expectWeightsError(assemble(header, grown), /unexpected tensor "denoiser.atten_layers.2/);
  });

  it('rejects offsets outside the data section', () => {
    const { header, data } = explode(good);
    const t = header['lifter.gconv_output.bias'];
    t.data_offsets = [data.length - 4, data.length - 4 + 12];
    expectWeightsError(assemble(header, data), /tensor "lifter.gconv_output.bias": data ends at byte/);
  });

  it('rejects offsets whose span does not match the shape', () => {
    const { header, data } = explode(good);
    const t = header['lifter.gconv_output.bias'];
    t.data_offsets = [t.data_offsets[0], t.data_offsets[1] + 4];
    expectWeightsError(
      assemble(header, data),
      /tensor "lifter.gconv_output.bias": data_offsets span 16 bytes but shape \[1,1,3\] of F32 needs 12/,
    );
  });

  it('rejects overlapping tensors', () => {
    const { header, data } = explode(good);
    const a = header['lifter.gconv_output.bias'];
    const b = header['lifter.gconv_input.bias']; // [1,1,8]: 32 bytes
    b.data_offsets = [a.data_offsets[0], a.data_offsets[0] + 32];
    expectWeightsError(assemble(header, data), /overlap/);
  });

  it('rejects non-finite weights, naming the tensor and element', () => {
    const { header, data } = explode(good);
    const copy = data.slice();
    const t = header['denoiser.gconv_output.bias'];
    new DataView(copy.buffer).setFloat32(t.data_offsets[0] + 4, NaN, true);
    expectWeightsError(assemble(header, copy), /tensor "denoiser.gconv_output.bias": element 1 is NaN/);
  });

  it('rejects a file without the model config, and a config that is wrong', () => {
    const { header, data } = explode(good);
    const noConfig = structuredClone(header);
    delete noConfig.__metadata__['diffpose.config'];
    expectWeightsError(assemble(noConfig, data), /no "__metadata__.diffpose.config"/);
    const badHeads = structuredClone(header);
    const cfg = JSON.parse(badHeads.__metadata__['diffpose.config']);
    cfg.denoiser.heads = 3;
    badHeads.__metadata__['diffpose.config'] = JSON.stringify(cfg);
    expectWeightsError(assemble(badHeads, data), /denoiser.hidden.*divisible by heads/);
    const badJson = structuredClone(header);
    badJson.__metadata__['diffpose.config'] = '{oops';
    expectWeightsError(assemble(badJson, data), /"diffpose.config" is not valid JSON/);
  });

  it('accepts F16 tensors and widens them exactly', () => {
    const { header, data } = explode(good);
    // Re-encode one tensor as F16 at the end of the data section: 1.5, -2, 0.25 are exact in f16.
    const t = header['lifter.gconv_output.bias'];
    const f16 = new Uint8Array(6);
    const dv = new DataView(f16.buffer);
    dv.setUint16(0, 0x3e00, true);
    dv.setUint16(2, 0xc000, true);
    dv.setUint16(4, 0x3400, true);
    const grown = new Uint8Array(data.length + 8);
    grown.set(data);
    grown.set(f16, data.length);
    t.dtype = 'F16';
    t.data_offsets = [data.length, data.length + 6];
    const w = parseModelWeights(assemble(header, grown));
    expect(Array.from(w.lifter.output.bias)).to.deep.equal([1.5, -2, 0.25]);
  });
});

/** The file with fields of its lifter's config changed (the tensors as they are). */
/** `bytes` with the config's `section` (lifter, diffusion) patched. */
function withConfigPatch(
  bytes: Uint8Array,
  section: 'lifter' | 'diffusion',
  patch: Record<string, unknown>,
): Uint8Array {
  const { header, data } = explode(bytes);
  const config = JSON.parse(header.__metadata__['diffpose.config']);
  Object.assign(config[section], patch);
  header.__metadata__['diffpose.config'] = JSON.stringify(config);
  return assemble(header, data);
}

const withLifterConfig = (bytes: Uint8Array, patch: Record<string, number>) => withConfigPatch(bytes, 'lifter', patch);
const withDiffusion = (bytes: Uint8Array, patch: Record<string, unknown>) => withConfigPatch(bytes, 'diffusion', patch);
