/** GPU time of one compute pass, from timestamp queries. */
export interface PassTime {
  label: string;
  ms: number;
}

/**
 * Times compute passes with the 'timestamp-query' feature: each timed pass writes a begin and an
 * end timestamp; `resolve` copies them out in the same encoder and `read` maps them after the
 * submit. Made once per executor; one set of passes per submit.
 */
export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly staging: GPUBuffer;
  private labels: string[] = [];

  constructor(
    device: GPUDevice,
    readonly maxPasses: number,
    label: string,
  ) {
    this.querySet = device.createQuerySet({ label: `${label}: timestamps`, type: 'timestamp', count: 2 * maxPasses });
    const size = 2 * maxPasses * 8;
    this.resolved = device.createBuffer({
      label: `${label}: resolved timestamps`,
      size,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.staging = device.createBuffer({
      label: `${label}: timestamp readback`,
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** A descriptor for the next timed pass of this submit. */
  pass(label: string): GPUComputePassDescriptor {
    const i = this.labels.length;
    if (i >= this.maxPasses) throw new Error(`PassTimer: more than ${this.maxPasses} timed passes in one submit`);
    this.labels.push(label);
    return {
      label,
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    };
  }

  resolve(encoder: GPUCommandEncoder): void {
    const count = 2 * this.labels.length;
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.staging, 0, count * 8);
  }

  /** After the submit: the passes' GPU times, and ready for the next submit. */
  async read(): Promise<PassTime[]> {
    const labels = this.labels;
    this.labels = [];
    await this.staging.mapAsync(GPUMapMode.READ, 0, labels.length * 16);
    const t = new BigUint64Array(this.staging.getMappedRange(0, labels.length * 16).slice(0));
    this.staging.unmap();
    // Timestamps are nanoseconds; an implementation may report end < begin for an empty pass.
    return labels.map((label, i) => ({ label, ms: Math.max(0, Number(t[2 * i + 1] - t[2 * i])) / 1e6 }));
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolved.destroy();
    this.staging.destroy();
  }
}
