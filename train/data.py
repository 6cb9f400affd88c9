"""Prepared mocap (docs/formats.md) and on-the-fly training examples.

    /usr/bin/python3 train/data.py --synthetic data/synthetic   # tiny stand-in dataset
    /usr/bin/python3 train/data.py --info data/prepared/train.safetensors
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from camera import make_examples  # noqa: E402
from diffpose import safetensors_io  # noqa: E402
from diffpose.skeleton import BONES, TEMPLATE  # noqa: E402

TEST_SEED = 20231


class Mocap:
    """poses [F,17,3] world frame (float32), clip [F], subject [F], clips/subjects metadata."""

    def __init__(self, path):
        tensors, meta = safetensors_io.read(path)
        self.path = path
        self.poses = np.ascontiguousarray(tensors["poses"], dtype=np.float32)
        self.clip = np.asarray(tensors["clip"], dtype=np.int64)
        self.subject = np.asarray(tensors["subject"], dtype=np.int64)
        self.clips = json.loads(meta.get("diffpose.clips", "[]"))
        self.subjects = json.loads(meta.get("diffpose.subjects", "[]"))
        assert self.poses.ndim == 3 and self.poses.shape[1:] == (17, 3), self.poses.shape

    def __len__(self):
        return self.poses.shape[0]

    def every_nth_frame_index(self, n):
        """Every n-th frame of each clip (frame index within a clip divisible by n)."""
        idx = np.arange(len(self))
        start = np.r_[0, np.nonzero(np.diff(self.clip))[0] + 1]
        first = np.repeat(start, np.diff(np.r_[start, len(self)]))
        return idx[(idx - first) % n == 0]


class Sampler:
    """Random training examples from a Mocap set: random frames, cameras, noise, mirroring."""

    def __init__(self, mocap, seed=0, mirror_prob=0.5):
        self.mocap = mocap
        self.rng = np.random.default_rng(seed)
        self.mirror_prob = mirror_prob

    def state(self):
        return self.rng.bit_generator.state

    def set_state(self, st):
        self.rng.bit_generator.state = st

    def batch(self, n):
        idx = self.rng.integers(0, len(self.mocap), n)
        return make_examples(self.mocap.poses[idx], self.rng, self.mirror_prob)


def test_examples(mocap, limit=None, stride=3, seed=TEST_SEED):
    """The fixed evaluation set (camera-model.md "Test set"): every 3rd frame, one camera per frame,
    seed 20231 (numpy PCG64; same distribution as the TS evaluator, not the same draws).
    limit: keep an evenly spaced subset of that many examples (deterministic)."""
    idx = mocap.every_nth_frame_index(stride)
    ex = make_examples(mocap.poses[idx], np.random.default_rng(seed), 0.0)
    if limit is not None and limit < len(idx):
        keep = np.linspace(0, len(idx) - 1, limit).round().astype(np.int64)
        ex = {k: v[keep] for k, v in ex.items()}
    return ex


# ---------------------------------------------------------------------------------------------
# synthetic stand-in data (until data/prepared exists; also used by smoke.py)

_PARENT = {c: p for p, c in BONES}


def _rot(axis, ang):
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    c, s = np.cos(ang), np.sin(ang)
    C = 1 - c
    return np.stack([
        np.stack([c + x * x * C, x * y * C - z * s, x * z * C + y * s], -1),
        np.stack([y * x * C + z * s, c + y * y * C, y * z * C - x * s], -1),
        np.stack([z * x * C - y * s, z * y * C + x * s, c + z * z * C], -1)], -2)


def synthetic_poses(rng, frames, clip_len=60):
    """Random smooth-ish poses by rotating the template's bones (forward kinematics)."""
    n_clips = (frames + clip_len - 1) // clip_len
    out = np.zeros((n_clips, clip_len, 17, 3))
    tpl = TEMPLATE
    for c in range(n_clips):
        amp = rng.uniform(0.2, 0.9, 17)
        axes0, axes1 = rng.normal(size=(17, 3)), rng.normal(size=(17, 3))
        phase = rng.uniform(0, 2 * np.pi, 17)
        freq = rng.uniform(0.02, 0.1)
        tt = np.arange(clip_len)
        for f in range(clip_len):
            rots = {0: _rot(axes0[0] * [0, 1, 0] + [0, 1e-6, 0], rng.uniform(-0.1, 0.1) + f * 0.01)}
            pose = np.zeros((17, 3))
            pose[0] = tpl[0] + [0, -0.2 * (1 + np.sin(freq * tt[f] + phase[0])) / 2, 0]
            for p, ch in BONES:  # BONES are in topological order
                ang = amp[ch] * np.sin(freq * tt[f] * 3 + phase[ch])
                local = _rot(axes0[ch] + 0.5 * axes1[ch] * np.cos(freq * tt[f]), ang)
                rots[ch] = rots[p] @ local
                pose[ch] = pose[p] + rots[ch] @ (tpl[ch] - tpl[p])
            out[c, f] = pose
    poses = out.reshape(-1, 17, 3)[:frames]
    poses[..., 1] -= poses[..., 1].min(1, keepdims=True) - 0.05  # feet near the floor
    clip = np.repeat(np.arange(n_clips), clip_len)[:frames]
    return poses.astype(np.float32), clip.astype(np.int32)


def write_synthetic(path, frames, seed):
    rng = np.random.default_rng(seed)
    poses, clip = synthetic_poses(rng, frames)
    n_clips = int(clip.max()) + 1
    clips = [{"name": f"synthetic/{i}", "source": "synthetic", "subject": "synthetic",
              "frames": int((clip == i).sum())} for i in range(n_clips)]
    safetensors_io.write(path, {"poses": poses, "clip": clip, "subject": np.zeros_like(clip)},
                         {"diffpose.clips": json.dumps(clips), "diffpose.subjects": json.dumps(["synthetic"])})


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", help="write train/test.safetensors of synthetic poses to this folder")
    ap.add_argument("--frames", type=int, default=6000)
    ap.add_argument("--info", help="print a summary of a prepared file")
    args = ap.parse_args()
    if args.synthetic:
        os.makedirs(args.synthetic, exist_ok=True)
        write_synthetic(os.path.join(args.synthetic, "train.safetensors"), args.frames, 1)
        write_synthetic(os.path.join(args.synthetic, "test.safetensors"), max(args.frames // 5, 60), 2)
        print("wrote", args.synthetic)
    if args.info:
        m = Mocap(args.info)
        print(f"{m.path}: {len(m)} frames, {len(m.clips)} clips, {len(m.subjects)} subjects")
        ex = make_examples(m.poses[:2000], np.random.default_rng(0))
        err = np.sqrt(((ex["uv"] - ex["uv_clean"]) ** 2).sum(-1))
        print("uv noise (uv units) median %.4f, mean sigma %.4f, mean conf %.3f, depth-range %.2f m" % (
            np.median(err), ex["sigma"].mean(), ex["conf"].mean(),
            np.ptp(ex["xyz"][..., 2], axis=1).mean()))


if __name__ == "__main__":
    main()
