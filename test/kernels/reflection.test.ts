// GPU-free: parses every kernel's composed WGSL and checks that the descriptor's bind-group
// layout and params packer agree with what the shader declares.
import { expect } from 'chai';
import { ResourceType, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { FMA_PEAK } from '../../bench/fma-peak.js';
import { ALL_KERNELS } from '../../src/kernels/all-kernels.js';
import { kernelSource, paramsByteSize, type BindingKind } from '../../src/kernels/kernel.js';
import { RUN_BYTES } from '../../src/kernels/run.js';
import { PHILOX_TEST } from './philox-test-kernel.js';

function kindOf(resourceType: ResourceType, access: string): BindingKind | string {
  if (resourceType === ResourceType.Uniform) return 'uniform';
  if (resourceType === ResourceType.Storage) return access === 'read_write' ? 'storage' : 'read-only-storage';
  return `unsupported resource type ${resourceType}`;
}

describe('kernel descriptors vs their WGSL (reflection)', () => {
  for (const desc of [...ALL_KERNELS, PHILOX_TEST, FMA_PEAK] as typeof ALL_KERNELS) {
    describe(desc.name, () => {
      const reflect = new WgslReflect(kernelSource(desc));
      const entry = reflect.entry.compute.find((e) => e.name === desc.entryPoint);

      it('has the compute entry point, sized by the WG_SIZE override', () => {
        expect(entry, `entry point ${desc.entryPoint}`).to.not.equal(undefined);
        expect(entry!.overrides.map((o) => o.name)).to.include('WG_SIZE');
        expect(desc.workgroupSize).to.be.within(1, 256);
      });

      it("declares exactly the descriptor's group-0 bindings (name, binding, uniform/storage, access)", () => {
        const used = entry!.resources
          .filter((r) => r.group === 0)
          .map((r) => ({ binding: r.binding, name: r.name, kind: kindOf(r.resourceType, r.access) }))
          .sort((a, b) => a.binding - b.binding);
        const declared = desc.bindings
          .map((b) => ({ binding: b.binding, name: b.name, kind: b.kind }))
          .sort((a, b) => a.binding - b.binding);
        expect(used).to.deep.equal(declared);
      });

      it('uses nothing outside group 0 except the run uniform (group 1, binding 0)', () => {
        const others = entry!.resources.filter((r) => r.group !== 0);
        for (const r of others) {
          expect({
            group: r.group,
            binding: r.binding,
            name: r.name,
            kind: kindOf(r.resourceType, r.access),
          }).to.deep.equal({ group: 1, binding: 0, name: 'run', kind: 'uniform' });
          expect(r.size).to.be.at.most(RUN_BYTES);
        }
      });

      it('packs params in the layout of the WGSL params struct', () => {
        const params = entry!.resources.find((r) => r.group === 0 && r.name === 'params');
        if (desc.paramsBytes !== undefined) {
          // A kernel that packs its own uniform (the fused kernels' tables): only its size is known here.
          expect(params, 'params uniform').to.not.equal(undefined);
          expect(params!.size).to.be.at.most(desc.paramsBytes);
          return;
        }
        if (desc.params.length === 0) {
          expect(params, 'a params uniform the descriptor does not pack').to.equal(undefined);
          return;
        }
        expect(params, 'params uniform').to.not.equal(undefined);
        const members = (params!.members ?? []).map((m) => ({ name: m.name, offset: m.offset, type: m.type.name }));
        expect(members).to.deep.equal(desc.params.map((f, i) => ({ name: f.name, offset: i * 4, type: f.type })));
        expect(params!.size).to.be.at.most(paramsByteSize(desc));
      });
    });
  }
});
