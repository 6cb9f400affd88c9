import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { serveStatic } from '../../demo/serve.js';
import { DiffPose } from '../../src/diffpose.js';
import { expectClose } from '../helpers/close.js';
import { requireGpu } from '../helpers/gpu.js';
import { someKeypoints } from '../helpers/models.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

// What a strict TypeScript consumer writes: the library's published types must compile without
// skipLibCheck, with no @types of its own (no @types/node either: a browser app has none).
const CONSUMER_SOURCE = `
import { DiffPose, DiffPoseError, type FormatName, type LiftOptions } from 'diffpose-webgpu';

export async function run(device: GPUDevice, keypoints: GPUBuffer, poses: GPUBuffer): Promise<number> {
  const model = await DiffPose.load({ device });
  const format: FormatName = 'coco17';
  const options = { imageSize: [640, 480] as const, format, hypotheses: 8, samples: true as const };
  const r = await model.lift([1, 2, 3], options);
  // samples: true means samples is there, no "possibly undefined".
  const n: number = r.samples.length + r.spread.length;
  const plain: LiftOptions = { imageSize: [1, 1] };
  const maybe = await model.lift(new Float32Array(34), plain);
  const m: number | undefined = maybe.samples?.length;
  model.addEventListener('devicelost', () => {});
  await model.liftBuffers({ keypoints, poses, count: 1, imageSize: [640, 480], encoder: device.createCommandEncoder() });
  model.dispose();
  try { await model.lift([], plain); } catch (e) { if (e instanceof DiffPoseError) return e.code.length; }
  return n + (m ?? 0);
}
`;

// What a web app writes: the package bundled for the browser with esbuild's defaults, weights by URL.
const BROWSER_ENTRY = `
import { DiffPose } from 'diffpose-webgpu';
window.__result = (async () => {
  const { frame, sequence } = await (await fetch('input.json')).json();
  const model = await DiffPose.load({ weights: 'diffpose.safetensors', temporalWeights: 'diffpose-temporal.safetensors' });
  const r = await model.lift(frame, { imageSize: [640, 480], init: 'official' });
  const s = await model.liftSequence(sequence, { imageSize: [640, 480], init: 'official' });
  return { adapter: model.adapter, poses: Array.from(r.poses), sequence: Array.from(s.poses) };
})().catch((e) => ({ error: String((e && e.stack) || e) }));
`;
const CHROMIUM = process.env.DIFFPOSE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

describe('the packed library (npm pack, installed into an empty project)', function () {
  this.timeout(600_000);
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'diffpose-consumer-'));
    // Packs the working tree as published (prepare builds dist/).
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball, 'npm pack wrote no tarball').to.be.a('string');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
    );
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`],
      { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
    );
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('as a strict TypeScript consumer sees it: tsc --strict without skipLibCheck, no errors', function () {
    writeFileSync(join(dir, 'index.ts'), CONSUMER_SOURCE);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          skipLibCheck: false,
          types: [],
        },
        files: ['index.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
    expect(r.status, `tsc errors:\n${r.stdout}${r.stderr}`).to.equal(0);
  });

  it("bundles for the browser with esbuild's defaults (no node: module in the bundle) and lifts in Chromium like Node", async function () {
    if (!existsSync(CHROMIUM)) {
      if (requireGpu()) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup-system.sh)`);
      this.skip();
    }
    const web = join(dir, 'web');
    execFileSync('mkdir', ['-p', web]);
    writeFileSync(join(dir, 'entry.js'), BROWSER_ENTRY);
    // esbuild's defaults: platform browser, no externals, no aliases.
    const result = await build({
      entryPoints: [join(dir, 'entry.js')],
      bundle: true,
      outfile: join(web, 'app.js'),
      logLevel: 'silent',
    });
    expect(result.errors).to.deep.equal([]);
    expect(readFileSync(join(web, 'app.js'), 'utf8')).not.to.match(/["']node:/);
    const frame = Array.from(someKeypoints(2, 8)),
      sequence = Array.from(someKeypoints(5, 9));
    writeFileSync(join(web, 'input.json'), JSON.stringify({ frame, sequence }));
    writeFileSync(join(web, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="app.js"></script>');
    for (const w of ['diffpose.safetensors', 'diffpose-temporal.safetensors'])
      copyFileSync(join(ROOT, 'weights', w), join(web, w));
    const { server, url } = await serveStatic(web);
    const profile = mkdtempSync(join(tmpdir(), 'diffpose-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await context.newPage();
      await page.goto(url);
      const got = await page.evaluate(
        () =>
          (
            window as unknown as {
              __result: Promise<{ error?: string; adapter: string; poses: number[]; sequence: number[] }>;
            }
          ).__result,
      );
      expect(got.error, got.error).to.equal(undefined);
      const model = await DiffPose.load({ backend: 'cpu' });
      const want = await model.lift(Float32Array.from(frame), { imageSize: [640, 480], init: 'official' });
      const wantSeq = await model.liftSequence(Float32Array.from(sequence), {
        imageSize: [640, 480],
        init: 'official',
      });
      model.dispose();
      expectClose(
        Float32Array.from(got.poses),
        want.poses,
        1e-3,
        0,
        `frame lift in Chromium (${got.adapter}) vs Node's CPU reference`,
      );
      expectClose(
        Float32Array.from(got.sequence),
        wantSeq.poses,
        1e-3,
        0,
        `sequence lift in Chromium (${got.adapter}) vs Node's CPU reference`,
      );
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
