"""Minimal safetensors reader/writer (standard library + numpy only)."""
import json
import os
import struct

import numpy as np

_DTYPES = {
    "F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"),
    "I32": np.dtype("<i4"), "I64": np.dtype("<i8"), "U8": np.dtype("u1"),
    "I8": np.dtype("i1"), "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "U32": np.dtype("<u4"),
}
_NAMES = {(v.kind, v.itemsize): k for k, v in _DTYPES.items()}


def write(path, tensors, metadata=None):
    """tensors: dict name -> numpy array (any supported dtype; written little-endian).

    Tensors are laid out in name order; the header is padded with spaces to a multiple of 8.
    """
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        key = _NAMES.get((arr.dtype.kind, arr.dtype.itemsize))
        if key is None:
            raise ValueError(f"unsupported dtype {arr.dtype} for {name}")
        data = np.ascontiguousarray(arr, dtype=_DTYPES[key]).tobytes()
        header[name] = {"dtype": key, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)  # readers never see a half-written file


def read(path):
    """Returns (tensors: dict name -> numpy array, metadata: dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, info in header.items():
        dt = _DTYPES[info["dtype"]]
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(raw, dtype=dt, count=(b - a) // dt.itemsize,
                                  offset=base + a).reshape(info["shape"])
    return out, meta
