import { DiffPose } from '../diffpose.js';
import { checkKnownFlags, flagString, type ParsedArgs } from './args.js';

/** `diffpose info`: the adapter, its key limits and the model config. */
export async function infoCommand(args: ParsedArgs, log: (s: string) => void): Promise<void> {
  checkKnownFlags(args, ['weights', 'cpu', 'verbose']);
  const model = await DiffPose.load({
    weights: flagString(args, 'weights'),
    backend: args.flags.has('cpu') ? 'cpu' : 'gpu',
  });
  try {
    const caps = model.gpu?.caps;
    log(`adapter: ${model.adapter}`);
    if (caps) {
      log(
        `limits: ${caps.maxInvocationsPerWorkgroup} invocations/workgroup, ${caps.maxWorkgroupStorageBytes / 1024} KiB workgroup storage, ` +
          `${Math.round(caps.maxStorageBufferBindingSize / 2 ** 20)} MiB storage binding; subgroups ${caps.subgroupSize ?? 'no'}, timestamp-query ${caps.timestampQuery ? 'yes' : 'no'}`,
      );
    }
    log(`model: ${JSON.stringify(model.config)}`);
    if (model.weights.metadata['diffpose.source']) log(`weights: ${model.weights.metadata['diffpose.source']}`);
  } finally {
    model.dispose();
  }
}
