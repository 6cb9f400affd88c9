// The numbers TypeScript and WGSL share exist once, in src/kernels/wgsl-constants.ts: the WGSL gets
// them from the generated prelude, so a .wgsl file that declares one by hand (or hard-codes the
// joint count) fails here.
import { expect } from 'chai';
import { WGSL } from '../../src/generated/shaders.js';
import { kernelSource } from '../../src/kernels/kernel.js';
import { WGSL_CONSTANTS, wgslPrelude } from '../../src/kernels/wgsl-constants.js';
import { NUM_JOINTS } from '../../src/pose/skeleton.js';
import { FUSED_PARAMS_BYTES } from '../../src/schedule/fused-params.js';

/** WGSL with comments removed. */
function code(text: string): string {
  return text.replace(/\/\/[^\n]*/g, '');
}

describe('shared WGSL constants (generated prelude)', () => {
  it('no WGSL file declares a shared constant by hand', () => {
    const names = Object.keys(WGSL_CONSTANTS);
    const declared: string[] = [];
    for (const [path, text] of Object.entries(WGSL)) {
      for (const m of code(text).matchAll(/\b(?:const|override|let|var)\s+([A-Za-z_]\w*)\s*[:=]/g)) {
        if (names.includes(m[1])) declared.push(`${path}: ${m[1]}`);
      }
    }
    expect(declared, 'declared by hand (use the prelude: src/kernels/wgsl-constants.ts)').to.deep.equal([]);
  });

  it('no WGSL file hard-codes the joint count', () => {
    const literal = new RegExp(`(?<![\\w.])${NUM_JOINTS}u?(?![\\w.])`);
    const found = Object.entries(WGSL)
      .filter(([, text]) => literal.test(code(text)))
      .map(([path]) => path);
    expect(found, `files with a literal ${NUM_JOINTS} (use JOINTS)`).to.deep.equal([]);
  });

  it('declares every constant as a u32 in front of every kernel', () => {
    const prelude = wgslPrelude();
    for (const [name, value] of Object.entries(WGSL_CONSTANTS)) {
      expect(prelude).to.match(new RegExp(`^const ${name}: u32 = (0x[0-9a-f]+|\\d+)u;$`, 'm'));
      const m = prelude.match(new RegExp(`^const ${name}: u32 = (0x[0-9a-f]+|\\d+)u;$`, 'm'))!;
      expect(Number(m[1]), name).to.equal(value);
    }
    expect(kernelSource({ shader: 'linear.wgsl', libs: [] })).to.contain(prelude);
  });

  it('sizes the fused uniform as the host packs it', () => {
    const c = WGSL_CONSTANTS;
    // 13 scalars padded to 4 vec4s, then the two tables, 2 vec4 per step and 17 gains in 5 vec4s.
    expect(c.JOINT_VEC4S).to.equal(5);
    expect(64 + c.TABLE_VEC4S * 16 + c.STEP_VEC4S * 16 + c.JOINT_VEC4S * 16).to.equal(FUSED_PARAMS_BYTES);
    expect(c.TABLE_VEC4S * 4).to.equal(2 * c.TABLE_U32_PER_NET);
    expect(c.DENOISER_TABLE).to.equal(c.TABLE_U32_PER_NET);
  });
});
