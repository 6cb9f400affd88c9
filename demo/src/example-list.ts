/** The bundled examples the demo offers (files in examples/, copied into dist/examples/ by build.ts). */
export interface DemoExample {
  id: string;
  label: string;
  file: string;
  /** COCO results carry neither the image size nor the frame rate: examples/README.md lists them. */
  imageSize: [number, number];
  fps: number;
}

export const DEMO_EXAMPLES: DemoExample[] = [
  { id: 'walk', label: 'Walk (CMU 03_03, 140 frames)', file: 'walk-coco17.json', imageSize: [640, 480], fps: 15 },
  {
    id: 'basketball',
    label: 'Basketball throw (HDM05, 91 frames)',
    file: 'basketball-coco17.json',
    imageSize: [640, 480],
    fps: 15,
  },
];
