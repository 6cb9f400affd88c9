/**
 * Builds the browser demo into demo/dist/ (git-ignored): the page, one esbuild bundle of the
 * library + three.js, and copies of the bundled examples and weights, so that dist/ is a
 * self-contained static site.  `npm run build:demo`.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEMO_EXAMPLES } from './src/example-list.js';

const DEMO = dirname(fileURLToPath(import.meta.url));
const ROOT = join(DEMO, '..');
export const DIST = join(DEMO, 'dist');

export async function buildDemo(log: (s: string) => void = console.log): Promise<string> {
  const started = performance.now();
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, 'examples'), { recursive: true });
  mkdirSync(join(DIST, 'weights'), { recursive: true });
  await build({
    entryPoints: [join(DEMO, 'src', 'main.ts')],
    outfile: join(DIST, 'app.js'),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    minify: true, sourcemap: true, legalComments: 'linked', logLevel: 'warning',
    // The library's Node-only paths (node:fs for weights files, node:os) are behind
    // `typeof process` guards and never run in a browser; Dawn's `webgpu` is imported through
    // a non-literal specifier that a bundler leaves alone. Leave the node: ones unresolved.
    external: ['node:*'],
  });
  copyFileSync(join(DEMO, 'index.html'), join(DIST, 'index.html'));
  copyFileSync(join(DEMO, 'style.css'), join(DIST, 'style.css'));
  for (const e of DEMO_EXAMPLES) copyFileSync(join(ROOT, 'examples', e.file), join(DIST, 'examples', e.file));
  copyFileSync(join(ROOT, 'weights', 'diffpose.safetensors'), join(DIST, 'weights', 'diffpose.safetensors'));
  log(`built ${DIST} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return DIST;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildDemo().catch((e: unknown) => { console.error(`build:demo: ${(e as Error).message}`); process.exitCode = 1; });
}
