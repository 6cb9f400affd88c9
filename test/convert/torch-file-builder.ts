import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Builds PyTorch-style checkpoint files by hand (no Python), so the reader's tests can hold
 * exactly the structures they need: well-formed ones, and malformed ones PyTorch never writes.
 *
 * A value is a JS description of a Python value: string, integer number (int), `float(x)`,
 * null, boolean, array (list), `tuple(...)`, Map (dict), `global('mod.name')`,
 * `reduce(callable, args)`, `persid(value)`, `raw(bytes)` (opcodes inserted as they are).
 */
export type PyDesc =
  | string
  | number
  | null
  | boolean
  | PyDesc[]
  | Map<PyDesc, PyDesc>
  | { kind: 'tuple'; items: PyDesc[] }
  | { kind: 'float'; value: number }
  | { kind: 'global'; name: string }
  | { kind: 'reduce'; fn: PyDesc; args: PyDesc }
  | { kind: 'persid'; id: PyDesc }
  | { kind: 'raw'; bytes: number[] }
  | { kind: 'build'; obj: PyDesc; state: PyDesc };

export const tuple = (...items: PyDesc[]): PyDesc => ({ kind: 'tuple', items });
export const float = (value: number): PyDesc => ({ kind: 'float', value });
export const global = (name: string): PyDesc => ({ kind: 'global', name });
export const reduce = (fn: PyDesc, args: PyDesc): PyDesc => ({ kind: 'reduce', fn, args });
export const persid = (id: PyDesc): PyDesc => ({ kind: 'persid', id });
export const raw = (...bytes: number[]): PyDesc => ({ kind: 'raw', bytes });
export const build = (obj: PyDesc, state: PyDesc): PyDesc => ({ kind: 'build', obj, state });

/** `OrderedDict()` as torch.save writes it (REDUCE, then SETITEMS). */
export function orderedDict(entries: Array<[string, PyDesc]>): PyDesc {
  return {
    kind: 'raw',
    bytes: [
      ...pickleBody(reduce(global('collections.OrderedDict'), tuple())),
      ...(entries.length ? [0x28, ...entries.flatMap(([k, v]) => [...pickleBody(k), ...pickleBody(v)]), 0x75] : []),
    ],
  };
}

/** A tensor view `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`. */
export function tensor(
  key: string,
  storageType: string,
  numel: number,
  offset: number,
  size: number[],
  stride: number[],
): PyDesc {
  return reduce(
    global('torch._utils._rebuild_tensor_v2'),
    tuple(
      persid(tuple('storage', global(`torch.${storageType}`), key, 'cpu', numel)),
      offset,
      tuple(...size),
      tuple(...stride),
      false,
      reduce(global('collections.OrderedDict'), tuple()),
    ),
  );
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function pickleBody(v: PyDesc): number[] {
  const enc = new TextEncoder();
  if (v === null) return [0x4e];
  if (v === true) return [0x88];
  if (v === false) return [0x89];
  if (typeof v === 'string') {
    const b = [...enc.encode(v)];
    return [0x58, ...u32(b.length), ...b];
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error('use float() for non-integers');
    if (v >= 0 && v < 256) return [0x4b, v];
    return [0x4a, ...u32(v | 0)];
  }
  if (Array.isArray(v)) return [0x5d, ...(v.length ? [0x28, ...v.flatMap(pickleBody), 0x65] : [])];
  if (v instanceof Map)
    return [0x7d, ...(v.size ? [0x28, ...[...v].flatMap(([k, x]) => [...pickleBody(k), ...pickleBody(x)]), 0x75] : [])];
  switch (v.kind) {
    case 'tuple':
      return [0x28, ...v.items.flatMap(pickleBody), 0x74];
    case 'float': {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v.value, false);
      return [0x47, ...new Uint8Array(b.buffer)];
    }
    case 'global': {
      const dot = v.name.lastIndexOf('.');
      return [0x63, ...enc.encode(`${v.name.slice(0, dot)}\n${v.name.slice(dot + 1)}\n`)];
    }
    case 'reduce':
      return [...pickleBody(v.fn), ...pickleBody(v.args), 0x52];
    case 'persid':
      return [...pickleBody(v.id), 0x51];
    case 'build':
      return [...pickleBody(v.obj), ...pickleBody(v.state), 0x62];
    case 'raw':
      return v.bytes;
  }
}

/** PROTO 2, the value, STOP. */
export function pickle(v: PyDesc): Uint8Array {
  return Uint8Array.from([0x80, 2, ...pickleBody(v), 0x2e]);
}

/** A ZIP archive of the given entries, stored (as PyTorch writes) or deflated. */
export function zip(entries: Array<[string, Uint8Array]>, method: 0 | 8 = 0): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: number[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const body = method === 8 ? new Uint8Array(deflateRawSync(data)) : data;
    const crc = crc32(data) >>> 0;
    const common = [
      ...u32(0).slice(0, 2),
      ...[method, 0],
      ...u32(0),
      ...u32(crc),
      ...u32(body.length),
      ...u32(data.length),
      nameBytes.length & 0xff,
      nameBytes.length >> 8,
    ];
    const local = Uint8Array.from([...u32(0x04034b50), 20, 0, ...common, 0, 0, ...nameBytes]);
    central.push(
      ...u32(0x02014b50),
      20,
      0,
      20,
      0,
      ...common,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...u32(offset),
      ...nameBytes,
    );
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const eocd = [
    ...u32(0x06054b50),
    0,
    0,
    0,
    0,
    entries.length & 0xff,
    entries.length >> 8,
    entries.length & 0xff,
    entries.length >> 8,
    ...u32(central.length),
    ...u32(offset),
    0,
    0,
  ];
  parts.push(Uint8Array.from(central), Uint8Array.from(eocd));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A torch.save-style archive: `<root>/data.pkl`, `<root>/data/<key>` per storage, `<root>/version`. */
export function torchFile(
  value: PyDesc,
  storages: Record<string, Uint8Array> = {},
  options: { root?: string; method?: 0 | 8; pickleBytes?: Uint8Array } = {},
): Uint8Array {
  const root = options.root ?? 'archive';
  return zip(
    [
      [`${root}/data.pkl`, options.pickleBytes ?? pickle(value)],
      ...Object.entries(storages).map(([k, b]): [string, Uint8Array] => [`${root}/data/${k}`, b]),
      [`${root}/version`, new TextEncoder().encode('3\n')],
    ],
    options.method ?? 0,
  );
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
