import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildDemo, DIST } from '../../demo/build.js';
import { serveStatic } from '../../demo/serve.js';
import { DEMO_EXAMPLES } from '../../demo/src/example-list.js';
import type { PageResult } from '../../demo/src/main.js';
import { liftSequenceWith, sequenceFromText, type LiftSettings } from '../../demo/src/sequence.js';
import { DiffPose } from '../../src/diffpose.js';
import { requireGpu } from '../helpers/gpu.js';

/**
 * The browser demo end to end: build it, serve it on 127.0.0.1, drive Debian's Chromium
 * (WebGPU on its SwiftShader) with playwright-core, wait for the page's lift, and check it
 * against the Node engine on the same input. Without /usr/bin/chromium the test is pending,
 * except in CI (CI=true or DIFFPOSE_REQUIRE_GPU=1), where that is a failure.
 */
const CHROMIUM = process.env.DIFFPOSE_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
// Small enough to lift quickly on SwiftShader, big enough for a visible cloud.
const QUERY: LiftSettings & { example: string } = {
  example: 'walk',
  model: 'offline',
  hypotheses: 4,
  timesteps: [12, 0],
  seed: 0,
};
const BACKGROUND = [0x11, 0x14, 0x1b];

declare global {
  interface Window {
    __diffposeResult?: PageResult;
  }
}

describe('browser demo (Chromium, WebGPU)', function () {
  this.timeout(600_000);
  let server: Server | undefined;
  let url = '';
  let context: BrowserContext | undefined;
  let userDir = '';

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (requireGpu()) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup-system.sh)`);
      this.skip();
    }
    await buildDemo(() => {});
    ({ server, url } = await serveStatic(DIST));
    userDir = mkdtempSync(join(tmpdir(), 'diffpose-chromium-'));
    // playwright takes the profile folder as an argument rather than --user-data-dir.
    context = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
  });

  after(async () => {
    await context?.close();
    server?.close();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });

  async function openDemo(query: string): Promise<{ page: Page; result: PageResult; errors: string[] }> {
    const page = await context!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${url}?${query}`);
    await page.waitForFunction(() => window.__diffposeResult !== undefined, undefined, {
      timeout: 540_000,
      polling: 250,
    });
    const result = (await page.evaluate(() => window.__diffposeResult))!;
    return { page, result, errors };
  }

  it('lifts an example like the Node engine does, draws it, and shows the timing', async () => {
    const started = performance.now();
    const query = `example=${QUERY.example}&model=${QUERY.model}&hypotheses=${QUERY.hypotheses}&timesteps=${QUERY.timesteps.join(',')}&seed=${QUERY.seed}&play=0`;
    const { page, result, errors } = await openDemo(query);
    const pageSeconds = (performance.now() - started) / 1000;
    expect(result.status, result.message).to.equal('done');
    expect(errors, 'page errors').to.deep.equal([]);
    expect(result.adapter).to.match(/swiftshader|google/i);
    expect([result.hypotheses, result.timesteps, result.seed, result.model]).to.deep.equal([
      QUERY.hypotheses,
      QUERY.timesteps,
      QUERY.seed,
      QUERY.model,
    ]);

    // The same input and options through the Node engine, with the very weights file the page
    // was served. Its CPU backend: the reference every GPU executor is tested against, with the
    // same Philox draws, and no second software adapter competing with Chromium's for the CPU.
    const example = DEMO_EXAMPLES.find((e) => e.id === QUERY.example)!;
    const seq = sequenceFromText(example, readFileSync(join(DIST, 'examples', example.file), 'utf8'));
    const weights = new Uint8Array(readFileSync(join(DIST, 'weights', 'diffpose.safetensors')));
    const temporalWeights = new Uint8Array(readFileSync(join(DIST, 'weights', 'diffpose-temporal.safetensors')));
    const model = await DiffPose.load({ weights, temporalWeights, backend: 'cpu' });
    let worst = 0;
    try {
      const r = await liftSequenceWith(model, seq, QUERY);
      expect(result.frames).to.equal(seq.frames);
      expect(result.poses).to.have.length(r.poses.length);
      r.poses.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - result.poses![i]));
      });
      console.log(
        `      page: ${result.frames} frames x ${result.hypotheses} hypotheses on ${result.adapter} (${result.executor} executor) in ${result.liftMs!.toFixed(0)} ms ` +
          `(${result.msPerFrame!.toFixed(1)} ms/frame); page ready after ${pageSeconds.toFixed(1)} s; Node on ${model.adapter}: max |difference| ${worst.toExponential(2)} m`,
      );
    } finally {
      model.dispose();
    }
    expect(worst, "largest difference between the page's and Node's poses, m").to.be.below(1e-3);

    // The timing and adapter are on the page; both canvases hold a drawing, not just background.
    expect(await page.textContent('#timing')).to.match(/lift \d+ ms = [\d.]+ ms per frame/);
    expect(await page.textContent('#adapter')).to.match(/adapter: .*swiftshader/i);
    await page.waitForTimeout(300); // a few animation frames after the lift
    const drawn = await page.evaluate(
      (bg) =>
        ['view3d', 'view2d'].map((id) => {
          const source = document.getElementById(id) as HTMLCanvasElement;
          const copy = document.createElement('canvas');
          copy.width = source.width;
          copy.height = source.height;
          const ctx = copy.getContext('2d')!;
          ctx.drawImage(source, 0, 0);
          const px = ctx.getImageData(0, 0, copy.width, copy.height).data;
          let differing = 0;
          for (let i = 0; i < px.length; i += 4) {
            if (Math.abs(px[i] - bg[0]) + Math.abs(px[i + 1] - bg[1]) + Math.abs(px[i + 2] - bg[2]) > 48) differing++;
          }
          return differing / (px.length / 4);
        }),
      BACKGROUND,
    );
    expect(drawn[0], 'share of the 3D canvas unlike the background').to.be.above(0.005);
    expect(drawn[1], 'share of the 2D canvas unlike the background').to.be.above(0.005);
    // Both animation files download, built in the page from the lift (src/export).
    for (const [button, check] of [
      ['#bvh', (b: Buffer) => expect(b.toString('utf8', 0, 9)).to.equal('HIERARCHY')],
      ['#glb', (b: Buffer) => expect(b.toString('latin1', 0, 4)).to.equal('glTF')],
    ] as const) {
      const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      const path = await file.path();
      check(readFileSync(path));
      expect(file.suggestedFilename()).to.match(new RegExp(`^${QUERY.example}\\.(bvh|glb)$`));
    }
    // Most of the way through the clip: the skeleton on its trajectory, its path drawn on the floor.
    await page.fill('#frame', '100');
    await page.dispatchEvent('#frame', 'input');
    await page.waitForTimeout(300);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
    await page.close();
  });

  it('live mode: plays the example through createStream, shows the per-push latency, and toggles to frame lifts', async () => {
    const { page, result, errors } = await openDemo(`example=walk&hypotheses=1&live=1`);
    expect(result.status, result.message).to.equal('done');
    type Live = { pushes: number; medianMs: number; jitter: number; model: string };
    const liveAfter = async (pushes: number, model: string): Promise<Live> => {
      await page.waitForFunction(
        ([n, m]) => (window.__diffposeLive?.pushes ?? 0) >= (n as number) && window.__diffposeLive?.model === m,
        [pushes, model],
        { timeout: 300_000, polling: 100 },
      );
      return (await page.evaluate(() => window.__diffposeLive))!;
    };
    const temporal = await liveAfter(12, 'temporal (causal stream)');
    expect(temporal.medianMs).to.be.above(0);
    expect(await page.textContent('#live-stats')).to.match(
      /live \(temporal \(causal stream\)\): [\d.]+ ms per push \(median of the last 30\), jitter [\d.]+ mm\/frame²/,
    );
    await page.selectOption('#model', 'frame');
    const frame = await liveAfter(temporal.pushes + 12, 'frame by frame');
    console.log(
      `      live on ${result.adapter}: causal stream ${temporal.medianMs.toFixed(1)} ms/push, jitter ${temporal.jitter.toFixed(1)} mm/frame²; frame lifts ${frame.medianMs.toFixed(1)} ms, jitter ${frame.jitter.toFixed(1)}`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-live.png'), fullPage: true });
    expect(errors, 'page errors').to.deep.equal([]);
    await page.close();
  });

  it('says clearly when the browser has no WebGPU adapter', async () => {
    // The same Chromium without --enable-unsafe-webgpu: navigator.gpu is there, but on this
    // machine (no GPU) it offers no adapter, as on a browser with WebGPU blocklisted.
    const dir = mkdtempSync(join(tmpdir(), 'diffpose-chromium-'));
    const plain = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS.filter((a) => a !== '--enable-unsafe-webgpu'),
    });
    try {
      const page = await plain.newPage();
      await page.goto(`${url}?play=0`);
      await page.waitForFunction(() => window.__diffposeResult !== undefined, undefined, {
        timeout: 120_000,
        polling: 250,
      });
      const result = (await page.evaluate(() => window.__diffposeResult))!;
      expect(result.status, result.message).to.equal('no-webgpu');
      expect(await page.isVisible('#message')).to.equal(true);
      expect(await page.textContent('#message')).to.match(/WebGPU but gave no adapter/);
    } finally {
      await plain.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
