import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

describe('the packed library as a strict TypeScript consumer sees it', () => {
  let dir: string;
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('npm pack, install the tarball into an empty project, tsc --strict without skipLibCheck: no errors', function () {
    this.timeout(300_000);
    dir = mkdtempSync(join(tmpdir(), 'diffpose-consumer-'));
    // Packs the working tree as published (prepare builds dist/).
    execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball, 'npm pack wrote no tarball').to.be.a('string');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    writeFileSync(join(dir, 'index.ts'), CONSUMER_SOURCE);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM'], skipLibCheck: false, types: [],
      },
      files: ['index.ts'],
    }));
    const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
    expect(r.status, `tsc errors:\n${r.stdout}${r.stderr}`).to.equal(0);
  });
});
