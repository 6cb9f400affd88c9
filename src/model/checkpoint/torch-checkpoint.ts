import { CheckpointError } from './checkpoint-error.js';
import { unpickle } from './pickle-vm.js';
import { describePy, typeName, type PyValue } from './pickle-values.js';
import { resolveTorchGlobal } from './torch-globals.js';
import { StorageType, TorchStorage } from './torch-tensor.js';
import { readZip, type ZipArchive } from './zip-reader.js';

/**
 * Reads a file written by `torch.save` (the ZIP format of PyTorch >= 1.6): `<root>/data.pkl`
 * is the pickled object, `<root>/data/<key>` the raw little-endian bytes of each storage.
 * `<root>` is the file's name at save time, so it is found, not assumed. Returns the unpickled
 * value, with tensors as lazy TorchTensor views.
 */
export function readTorchCheckpoint(bytes: Uint8Array): PyValue {
  if (bytes.byteLength >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
    throw new CheckpointError(
      'this is a legacy (non-ZIP) torch.save file from PyTorch < 1.6, which is not supported: ' +
        're-save it with torch.save(torch.load(path), path) in PyTorch >= 1.6',
    );
  }
  const zip = readZip(bytes);
  const root = findRoot(zip);
  const order = zip.entries.has(`${root}/byteorder`)
    ? new TextDecoder().decode(zip.read(`${root}/byteorder`, MAX_BYTEORDER)).trim()
    : 'little';
  if (order !== 'little')
    throw new CheckpointError(
      `the checkpoint's storages are ${describePy(order)}-endian; only little-endian is supported`,
    );
  const storages = new Map<string, TorchStorage>();
  return unpickle(zip.read(`${root}/data.pkl`, MAX_PICKLE), {
    resolveGlobal: resolveTorchGlobal,
    persistentLoad: (pid) => storageFor(pid, zip, root, storages),
  });
}

/** data.pkl holds structure only (tensor data are separate entries): even huge models pickle to well under this. */
const MAX_PICKLE = 64 << 20;
const MAX_BYTEORDER = 64;

function findRoot(zip: ZipArchive): string {
  const roots = [...zip.entries.keys()]
    .filter((n) => /^[^/]+\/data\.pkl$/.test(n))
    .map((n) => n.slice(0, -'/data.pkl'.length));
  if (roots.length === 0)
    throw new CheckpointError('the ZIP archive has no <name>/data.pkl entry: not a PyTorch checkpoint');
  if (roots.length > 1)
    throw new CheckpointError(
      `the ZIP archive has several data.pkl entries (${roots.join(', ')}): not a single PyTorch checkpoint`,
    );
  return roots[0];
}

/** ('storage', StorageType, key, location, numel) -> the storage, one object per key. */
function storageFor(pid: PyValue, zip: ZipArchive, root: string, storages: Map<string, TorchStorage>): TorchStorage {
  if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
    throw new CheckpointError(
      `unsupported persistent id ${typeName(pid)}${Array.isArray(pid) ? ` starting with ${describePy(pid[0] ?? null)}` : ''} (expected a ('storage', ...) tuple)`,
    );
  }
  const [, type, key, , numel] = pid;
  if (!(type instanceof StorageType))
    throw new CheckpointError(`storage persistent id with type ${typeName(type)}, not a torch storage type`);
  if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) {
    throw new CheckpointError('storage persistent id needs a string key and a non-negative element count');
  }
  const existing = storages.get(key);
  if (existing) return existing;
  const entry = `${root}/data/${key}`;
  if (!zip.entries.has(entry))
    throw new CheckpointError(
      `storage "${key}" (${type.name}, ${numel} elements) has no entry "${entry}" in the archive`,
    );
  // An entry larger than its declared elements need is refused unread (its bytes are checked exactly later).
  const storage = new TorchStorage(type, key, numel, () => zip.read(entry, numel * type.itemBytes));
  storages.set(key, storage);
  return storage;
}
