import type { AnimationClip, Object3D } from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';

/** A .glb read back by three.js: its scene and first animation. */
export function loadGlb(bytes: Uint8Array): Promise<{ root: Object3D; clip: AnimationClip }> {
  return new Promise((resolve, reject) => {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    new GLTFLoader().parse(buffer, '', (gltf) => resolve({ root: gltf.scene, clip: gltf.animations[0] }), reject);
  });
}
