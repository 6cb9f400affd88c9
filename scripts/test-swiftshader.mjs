// Runs the GPU tests a second time on SwiftShader (Chromium's software Vulkan driver): its limit of
// 256 invocations per workgroup is the WebGPU default, so this checks the kernels on a minimal adapter.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const icd = process.env.SWIFTSHADER_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';
const required = process.env.DIFFPOSE_REQUIRE_GPU === '1' || process.env.CI === 'true';
if (!existsSync(icd)) {
  if (required) {
    console.error(`SwiftShader ICD not found at ${icd} (install Debian's chromium, see README)`);
    process.exit(1);
  }
  console.log(`SwiftShader not installed (${icd}): GPU tests ran on the default adapter only`);
  process.exit(0);
}
const specs = ['test/kernels/**/*.test.ts', 'test/gpu/**/*.test.ts'];
console.log(`\nGPU tests on SwiftShader (${icd})`);
// --no-config: .mocharc.json's spec would add the whole suite to these files.
const r = spawnSync('npx', ['mocha', '--no-config', '--import=tsx', '--timeout=600000', ...specs], {
  stdio: 'inherit',
  env: { ...process.env, VK_ICD_FILENAMES: icd, DIFFPOSE_EXPECT_ADAPTER: 'swiftshader' },
});
process.exit(r.status ?? 1);
