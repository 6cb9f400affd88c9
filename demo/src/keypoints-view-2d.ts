import { FORMATS, toH36m } from '../../src/pose/formats.js';
import { H36M_BONES } from '../../src/pose/skeleton.js';
import type { Sequence } from './sequence.js';

/**
 * The 2D input: the detector's keypoints as dots (brighter = higher score) and the 17 Human3.6M
 * joints the model actually sees (mapped by src/pose/formats.ts) as a skeleton, in the image's
 * own aspect ratio.
 */
export class KeypointsView2d {
  private readonly ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext('2d')!;
  }

  show(seq: Sequence, frame: number): void {
    const [w, h] = seq.imageSize;
    const cssWidth = this.canvas.clientWidth || 400;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(cssWidth * ratio);
    this.canvas.height = Math.round((cssWidth * ratio * h) / w);
    this.canvas.style.height = `${(cssWidth * h) / w}px`;
    const s = this.canvas.width / w;
    const c = this.ctx;
    c.fillStyle = '#1a1f2a';
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const format = FORMATS[seq.format];
    const K = format.keypoints;
    const kp = seq.keypoints.subarray(frame * K * 2, (frame + 1) * K * 2);
    const conf = seq.confidence.subarray(frame * K, (frame + 1) * K);
    const mapped = toH36m(format, 1, kp).keypoints;
    c.strokeStyle = '#c8d2e6';
    c.lineWidth = 2 * ratio;
    c.beginPath();
    for (const [a, b] of H36M_BONES) {
      c.moveTo(mapped[2 * a] * s, mapped[2 * a + 1] * s);
      c.lineTo(mapped[2 * b] * s, mapped[2 * b + 1] * s);
    }
    c.stroke();
    for (let k = 0; k < K; k++) {
      c.fillStyle = `rgba(255, 190, 90, ${0.25 + 0.75 * conf[k]})`;
      c.beginPath();
      c.arc(kp[2 * k] * s, kp[2 * k + 1] * s, 3.5 * ratio, 0, 2 * Math.PI);
      c.fill();
    }
    c.fillStyle = '#8d97ab';
    c.font = `${12 * ratio}px system-ui, sans-serif`;
    c.fillText(`${seq.example.file}  ${w}x${h}  frame ${frame + 1}/${seq.frames}`, 8 * ratio, 18 * ratio);
  }
}
