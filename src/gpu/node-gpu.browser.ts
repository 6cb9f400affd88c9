// The browser twin of node-gpu.ts (the package's "browser" field maps one to the other): the
// browser's navigator.gpu is used, Dawn's Node binding never.

export const IN_NODE = false;

export async function installNodeGlobals(): Promise<void> {}

export function hideDawnAdapterWarnings(): void {}

export function nodeGpu(): Promise<GPU | undefined> {
  return Promise.resolve(undefined);
}
