import type { Motion, Rig } from './rig.js';

/** Byte writer of the binary chunk: each block 4-byte aligned, as accessors need. */
class BinaryChunk {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  add(values: Float32Array): { byteOffset: number; byteLength: number } {
    const byteOffset = this.length;
    this.parts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.length += values.byteLength;
    return { byteOffset, byteLength: values.byteLength };
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.length / 4) * 4);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * A binary glTF 2.0 file (.glb): one node per joint (translation = its rest offset), a skin
 * over them (inverse bind matrices of the rest pose) and one animation at the motion's rate:
 * the root's translation and every joint's rotation per frame, linear interpolation.
 */
export function writeGlb(rig: Rig, motion: Motion, name = 'diffpose'): Uint8Array {
  const J = rig.names.length,
    T = motion.frames;
  const bin = new BinaryChunk();
  const bufferViews: object[] = [];
  const accessors: object[] = [];
  const addAccessor = (
    values: Float32Array,
    type: 'SCALAR' | 'VEC3' | 'VEC4' | 'MAT4',
    count: number,
    extra: object = {},
  ) => {
    const view = bin.add(values);
    bufferViews.push({ buffer: 0, ...view });
    accessors.push({ bufferView: bufferViews.length - 1, componentType: 5126, count, type, ...extra });
    return accessors.length - 1;
  };
  // Animation inputs must state their range.
  const timeValues = Float32Array.from({ length: T }, (_, f) => (motion.start ?? 0) + f / motion.fps);
  const times = addAccessor(timeValues, 'SCALAR', T, { min: [timeValues[0]], max: [timeValues[T - 1]] });
  const rest: number[][] = new Array(J);
  for (const j of rig.order) {
    const p = rig.parents[j];
    const o = rig.offsets[j];
    rest[j] = p >= 0 ? [rest[p][0] + o[0], rest[p][1] + o[1], rest[p][2] + o[2]] : [0, 0, 0];
  }
  const inverseBind = new Float32Array(J * 16);
  for (let j = 0; j < J; j++)
    inverseBind.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, -rest[j][0], -rest[j][1], -rest[j][2], 1], j * 16);
  const ibm = addAccessor(inverseBind, 'MAT4', J);
  const channels: object[] = [];
  const samplers: object[] = [];
  const root = rig.parents.indexOf(-1);
  const track = (node: number, path: 'translation' | 'rotation', values: Float32Array, type: 'VEC3' | 'VEC4') => {
    samplers.push({ input: times, output: addAccessor(values, type, T), interpolation: 'LINEAR' });
    channels.push({ sampler: samplers.length - 1, target: { node, path } });
  };
  track(root, 'translation', Float32Array.from(motion.root.flat()), 'VEC3');
  for (let j = 0; j < J; j++)
    track(j, 'rotation', Float32Array.from(motion.local.map((frame) => frame[j]).flat()), 'VEC4');
  const nodes = rig.names.map((n, j) => {
    const node: Record<string, unknown> = { name: n, translation: rig.offsets[j] };
    if (rig.children[j].length) node.children = rig.children[j];
    return node;
  });
  const gltf = {
    asset: { version: '2.0', generator: 'diffpose-webgpu' },
    scene: 0,
    scenes: [{ name, nodes: [root] }],
    nodes,
    skins: [{ name: `${name} skeleton`, joints: rig.names.map((_, j) => j), skeleton: root, inverseBindMatrices: ibm }],
    animations: [{ name, channels, samplers }],
    buffers: [{ byteLength: Math.ceil(bin.length / 4) * 4 }],
    bufferViews,
    accessors,
  };
  const json = new TextEncoder().encode(JSON.stringify(gltf));
  const jsonPadded = new Uint8Array(Math.ceil(json.length / 4) * 4).fill(0x20);
  jsonPadded.set(json);
  const data = bin.bytes();
  const total = 12 + 8 + jsonPadded.length + 8 + data.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x46546c67, true); // 'glTF'
  view.setUint32(4, 2, true);
  view.setUint32(8, total, true);
  view.setUint32(12, jsonPadded.length, true);
  view.setUint32(16, 0x4e4f534a, true); // 'JSON'
  out.set(jsonPadded, 20);
  const at = 20 + jsonPadded.length;
  view.setUint32(at, data.length, true);
  view.setUint32(at + 4, 0x004e4942, true); // 'BIN\0'
  out.set(data, at + 8);
  return out;
}
