/**
 * Builds the browser demo into demo/dist/ (git-ignored): the page, one esbuild bundle of the
 * library + three.js, and copies of the bundled examples and weights, so that dist/ is a
 * self-contained static site.  `npm run build:demo`.
 */
import { build, type Plugin } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEMO_EXAMPLES } from './src/example-list.js';

const DEMO = dirname(fileURLToPath(import.meta.url));
const ROOT = join(DEMO, '..');
export const DIST = join(DEMO, 'dist');

/** The package.json "browser" map, from dist/src/X.js to src/X.ts, as an esbuild plugin. */
function browserTwins(): Plugin {
  const map = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { browser: Record<string, string> })
    .browser;
  const twins = new Map(
    Object.entries(map).map(([from, to]) => [
      join(ROOT, from.replace('./dist/', '').replace(/\.js$/, '.ts')),
      join(ROOT, to.replace('./dist/', '').replace(/\.js$/, '.ts')),
    ]),
  );
  return {
    name: 'browser-twins',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        const twin = twins.get(join(args.resolveDir, args.path).replace(/\.js$/, '.ts'));
        return twin ? { path: twin } : undefined;
      });
    },
  };
}

export async function buildDemo(log: (s: string) => void = console.log): Promise<string> {
  const started = performance.now();
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(join(DIST, 'examples'), { recursive: true });
  mkdirSync(join(DIST, 'weights'), { recursive: true });
  await build({
    entryPoints: [join(DEMO, 'src', 'main.ts')],
    outfile: join(DIST, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
    // The demo bundles the library from src/: the package's "browser" map (Node-only modules ->
    // their browser twins), which bundlers apply to the published dist/, applied to src/ here.
    plugins: [browserTwins()],
  });
  copyFileSync(join(DEMO, 'index.html'), join(DIST, 'index.html'));
  copyFileSync(join(DEMO, 'style.css'), join(DIST, 'style.css'));
  for (const e of DEMO_EXAMPLES) copyFileSync(join(ROOT, 'examples', e.file), join(DIST, 'examples', e.file));
  for (const w of ['diffpose.safetensors', 'diffpose-temporal.safetensors'])
    copyFileSync(join(ROOT, 'weights', w), join(DIST, 'weights', w));
  log(`built ${DIST} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return DIST;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildDemo().catch((e: unknown) => {
    console.error(`build:demo: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
