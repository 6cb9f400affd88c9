// src/generated/shaders.ts must match shaders/: it is what Node and browser bundles load.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { WGSL } from '../../src/generated/shaders.js';

interface EmbedScript {
  renderShadersModule(): string;
  GENERATED_FILE: string;
}

describe('embedded shaders (src/generated/shaders.ts)', () => {
  it('is up to date with shaders/ (else run node scripts/embed-shaders.mjs)', async () => {
    const script = (await import(new URL('../../scripts/embed-shaders.mjs', import.meta.url).href)) as EmbedScript;
    const expected = script.renderShadersModule();
    const actual = readFileSync(script.GENERATED_FILE, 'utf8');
    expect(actual === expected, 'src/generated/shaders.ts is stale: run node scripts/embed-shaders.mjs').to.equal(true);
  });

  it('holds the kernels and the shared libraries', () => {
    expect(Object.keys(WGSL)).to.include.members([
      'linear.wgsl',
      'lib/philox.wgsl',
      'lib/ddim.wgsl',
      'lib/gmm.wgsl',
      'lib/activation.wgsl',
    ]);
  });
});
