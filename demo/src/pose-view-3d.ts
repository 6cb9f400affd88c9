import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { H36M_BONES } from '../../src/pose/skeleton.js';
import { spreadColour } from './spread-colour.js';

export const BACKGROUND = 0x11141b;
const JOINTS = 17;

/**
 * The 3D view: the mean pose as bones and joints (joints coloured by their spread), every
 * hypothesis as a translucent point cloud, a floor grid, orbit controls. Poses come in the
 * model's camera frame (x right, y down, z away from the camera) and are shown turned half a
 * turn about x (y up, z towards the viewer), so the first view looks like the input camera's.
 * With a root trajectory the skeleton moves over the floor (its root relative to the track's
 * first), leaving its path as a trail on the floor, and the view follows it.
 */
export class PoseView3d {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(45, 1, 0.01, 50);
  private readonly controls: OrbitControls;
  private readonly joints: THREE.Mesh[] = [];
  private readonly bones: THREE.Mesh[] = [];
  private readonly cloud: THREE.Points;
  private readonly trail: THREE.Line;
  private readonly floorY = -0.95;

  constructor(private readonly canvas: HTMLCanvasElement) {
    // preserveDrawingBuffer: the page (and its test) can read the pixels back after a frame.
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.scene.background = new THREE.Color(BACKGROUND);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x334455, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.5);
    sun.position.set(2, 4, 3);
    this.scene.add(sun);
    const grid = new THREE.GridHelper(12, 48, 0x3a4660, 0x252c3a);
    grid.position.y = this.floorY; // about the feet of a root-relative adult
    this.scene.add(grid);
    this.trail = new THREE.Line(new THREE.BufferGeometry(), new THREE.LineBasicMaterial({ color: 0xffb45a }));
    this.scene.add(this.trail);
    const sphere = new THREE.SphereGeometry(0.028, 16, 12);
    for (let j = 0; j < JOINTS; j++) {
      const m = new THREE.Mesh(sphere, new THREE.MeshStandardMaterial({ roughness: 0.5 }));
      this.joints.push(m);
      this.scene.add(m);
    }
    const rod = new THREE.CylinderGeometry(0.013, 0.013, 1, 10);
    rod.translate(0, 0.5, 0); // from the origin up +y, scaled to the bone's length
    const boneMaterial = new THREE.MeshStandardMaterial({ color: 0xc8d2e6, roughness: 0.6 });
    for (let b = 0; b < H36M_BONES.length; b++) {
      const m = new THREE.Mesh(rod, boneMaterial);
      this.bones.push(m);
      this.scene.add(m);
    }
    const cloudGeometry = new THREE.BufferGeometry();
    cloudGeometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(3), 3));
    this.cloud = new THREE.Points(
      cloudGeometry,
      new THREE.PointsMaterial({
        color: 0x8fc0ff,
        size: 0.05,
        transparent: true,
        opacity: 0.5,
        depthWrite: false,
        map: roundDot(),
      }),
    );
    this.scene.add(this.cloud);
    this.camera.position.set(1.1, 0.35, 2.6);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, -0.1, 0);
    this.controls.update();
    // Drawn on demand (a new frame, an orbit move, a resize), never in an idle loop: a software
    // renderer shares the CPU with the lift running on the same machine.
    this.controls.addEventListener('change', () => this.render());
    this.resize();
    new ResizeObserver(() => {
      this.resize();
      this.render();
    }).observe(canvas);
  }

  /**
   * Shows one frame: `pose` 17 * 3, `spread` 17, `samples` H * 17 * 3 (model camera frame);
   * `path`: the root's positions from the track's first frame to this one, each relative to the
   * first (camera frame, metres; NaN where no root was fitted), the last one this frame's.
   */
  show(
    pose: ArrayLike<number>,
    spread: ArrayLike<number>,
    samples: ArrayLike<number>,
    path: ArrayLike<number> = [],
  ): void {
    const n = path.length / 3;
    const here =
      n && Number.isFinite(path[3 * n - 3]) ? [path[3 * n - 3], path[3 * n - 2], path[3 * n - 1]] : [0, 0, 0];
    const moved = new THREE.Vector3(here[0], -here[1], -here[2]);
    const at = (a: ArrayLike<number>, i: number) =>
      new THREE.Vector3(a[3 * i], -a[3 * i + 1], -a[3 * i + 2]).add(moved);
    for (let j = 0; j < JOINTS; j++) {
      this.joints[j].position.copy(at(pose, j));
      (this.joints[j].material as THREE.MeshStandardMaterial).color.setRGB(...spreadColour(spread[j]));
    }
    const up = new THREE.Vector3(0, 1, 0);
    H36M_BONES.forEach(([a, b], i) => {
      const from = at(pose, a),
        dir = at(pose, b).sub(from);
      const bone = this.bones[i];
      bone.position.copy(from);
      bone.scale.set(1, Math.max(dir.length(), 1e-6), 1);
      bone.quaternion.setFromUnitVectors(up, dir.normalize());
    });
    const points = new Float32Array(samples.length);
    for (let i = 0; i < samples.length / 3; i++) {
      points[3 * i] = samples[3 * i] + moved.x;
      points[3 * i + 1] = -samples[3 * i + 1] + moved.y;
      points[3 * i + 2] = -samples[3 * i + 2] + moved.z;
    }
    this.cloud.geometry.setAttribute('position', new THREE.BufferAttribute(points, 3));
    this.cloud.geometry.computeBoundingSphere();
    // The root's path on the floor (its height left out: the floor is flat).
    const trail: number[] = [];
    for (let i = 0; i < n; i++)
      if (Number.isFinite(path[3 * i])) trail.push(path[3 * i], this.floorY + 0.002, -path[3 * i + 2]);
    this.trail.geometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(trail), 3));
    this.trail.geometry.computeBoundingSphere();
    // The view follows the skeleton.
    const target = new THREE.Vector3(moved.x, -0.1 + moved.y, moved.z);
    this.camera.position.add(target.clone().sub(this.controls.target));
    this.controls.target.copy(target);
    this.controls.update();
    this.render();
  }

  render(): void {
    this.renderer.render(this.scene, this.camera);
  }

  private resize(): void {
    const w = this.canvas.clientWidth || 640,
      h = this.canvas.clientHeight || 480;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }
}

/** A soft round sprite for the cloud's points (plain points are squares). */
function roundDot(): THREE.CanvasTexture {
  const c = document.createElement('canvas');
  c.width = c.height = 32;
  const g = c.getContext('2d')!;
  const fill = g.createRadialGradient(16, 16, 0, 16, 16, 16);
  fill.addColorStop(0, 'rgba(255, 255, 255, 1)');
  fill.addColorStop(0.6, 'rgba(255, 255, 255, 0.8)');
  fill.addColorStop(1, 'rgba(255, 255, 255, 0)');
  g.fillStyle = fill;
  g.fillRect(0, 0, 32, 32);
  return new THREE.CanvasTexture(c);
}
