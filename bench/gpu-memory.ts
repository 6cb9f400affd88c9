/**
 * Live bytes of the GPU buffers created on a device, by wrapping the device's createBuffer and
 * each buffer's destroy: what a contestant holds is the growth of `live` across its first call
 * (the engine makes its buffers once). A benchmark instrument only; the engine knows nothing of it.
 */
export class BufferTally {
  live = 0;
  peak = 0;

  constructor(device: GPUDevice) {
    const create = device.createBuffer.bind(device);
    device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
      const buffer = create(descriptor);
      const size = buffer.size;
      this.live += size;
      this.peak = Math.max(this.peak, this.live);
      const destroy = buffer.destroy.bind(buffer);
      let destroyed = false;
      buffer.destroy = () => {
        if (!destroyed) {
          destroyed = true;
          this.live -= size;
        }
        destroy();
      };
      return buffer;
    };
  }
}
