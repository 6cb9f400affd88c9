"""PyTorch CPU contestant of the benchmark (bench/): the whole DiffPose lift on the engine's
weights file, timed inside this process, driven by the JavaScript benchmark through files.

    [sh train/openblas.sh] /usr/bin/python3 train/bench_torch.py <weights.safetensors> \
        <request.safetensors> <response.safetensors> [--threads 1]

Request tensors: uv [N,17,2], offset [N*H,17,5] (items pose-major, hypothesis-minor), optional
confidence [N,17] (read by a confidence-reading lifter; default 1); metadata
(strings): hypotheses, timesteps (JSON, descending), eta ("0"), repeats, warmup (default 1),
init ("paper", default, or "official"). Response tensor: mean [N,17,3]. Stdout: one JSON line
{first_ms, times_ms, torch, threads, blas}.

Why it is built this way:
- The caller draws the random numbers and sends them as `offset`, so that this process does no
  RNG work the engine does not time either, and its answer can be checked against the engine's:
  x_K = [offset_uv, c * root_centre(lifter(uv)) + s * offset_xyz] per item, with
  c = sqrt(alphabar_{t_first}) for init "paper" (the engine's formula with the sampled, noised uv
  in offset_uv and standard normals in offset_xyz) and s the start's xyz noise std: the lifter's
  sigma for a lifter that predicts its error, else sqrt(1 - alphabar_{t_first}). init "official"
  uses c = 1 (offset = [uv, 0]), the released code's noise-free start, which exists to check this
  script against diffusion.lift exactly.
- Only eta 0 is accepted: eta > 0 needs per-step noise, which the request format does not carry.
- Timing covers lifter, init, every DDIM step and the mean (float32, no_grad) and nothing else:
  no file I/O, no tensor conversion. `first_ms` (the very first run: allocator, lazy init) is
  kept apart from the steady-state `times_ms`.
- --threads also sets OMP/OpenBLAS thread counts before torch is imported (train/openblas.sh
  pins them to 1), so that "threads" means the same with Debian's reference BLAS and OpenBLAS.
"""
import argparse
import json
import os
import sys
import time


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        fail(message)


def fail(message):
    print(f"bench_torch.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def loaded_blas():
    """Which BLAS library the process actually mapped (the build info says 'generic' either way)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.split()[-1].lower()}
    except OSError:
        return "unknown"
    return ", ".join(sorted("/".join(p.split("/")[-2:]) for p in libs)) or "none"


def main():
    ap = _Parser(description="PyTorch CPU contestant of the benchmark")
    ap.add_argument("weights")
    ap.add_argument("request")
    ap.add_argument("response")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.threads < 1:
        fail("--threads must be >= 1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from diffpose import safetensors_io
    from diffpose.diffusion import ddim, root_centre
    from diffpose.export import load

    torch.set_num_threads(args.threads)
    try:
        lifter, denoiser, schedule, _ = load(args.weights)
    except Exception as e:  # noqa: BLE001 - any failure here is a bad weights file
        fail(f"cannot load weights {args.weights}: {e}")
    try:
        tensors, meta = safetensors_io.read(args.request)
    except Exception as e:  # noqa: BLE001
        fail(f"cannot read request {args.request}: {e}")

    try:
        h = int(meta["hypotheses"])
        steps = json.loads(meta["timesteps"])
        if not isinstance(steps, list) or not all(isinstance(t, int) for t in steps):
            raise ValueError(f"timesteps {meta['timesteps']!r} is not a JSON list of integers")
        eta = float(meta.get("eta", "0"))
        repeats = int(meta["repeats"])
        warmup = int(meta.get("warmup", "1"))
        init = meta.get("init", "paper")
        uv_np, off_np = tensors["uv"], tensors["offset"]
    except KeyError as e:
        fail(f"request lacks {e}")
    except (ValueError, TypeError) as e:
        fail(f"bad request metadata: {e}")
    n = uv_np.shape[0] if uv_np.ndim == 3 else -1
    if h < 1 or repeats < 1 or warmup < 0:
        fail(f"need hypotheses >= 1, repeats >= 1, warmup >= 0 (got {h}, {repeats}, {warmup})")
    if not steps or any(not 0 <= t < schedule.num_steps for t in steps) or \
            any(b >= a for a, b in zip(steps, steps[1:])):
        fail(f"timesteps {steps} must be strictly decreasing integers in [0, {schedule.num_steps - 1}]")
    if eta != 0:
        fail(f"eta {eta}: only 0 is supported (eta > 0 needs per-step noise the request does not carry)")
    if init not in ("paper", "official"):
        fail(f"init {init!r}: 'paper' or 'official'")
    if tuple(uv_np.shape[1:]) != (17, 2) or n < 1:
        fail(f"uv has shape {list(uv_np.shape)}, expected [N, 17, 2]")
    if tuple(off_np.shape) != (n * h, 17, 5):
        fail(f"offset has shape {list(off_np.shape)}, expected [{n * h}, 17, 5] (N*H)")
    if uv_np.dtype != np.float32 or off_np.dtype != np.float32:
        fail("uv and offset must be F32")

    uv = torch.from_numpy(np.array(uv_np))
    offset = torch.from_numpy(np.array(off_np))
    conf = None
    if "confidence" in tensors:
        if tuple(tensors["confidence"].shape) != (n, 17):
            fail(f"confidence has shape {list(tensors['confidence'].shape)}, expected [{n}, 17]")
        conf = torch.from_numpy(np.array(tensors["confidence"], dtype=np.float32))
    coef = schedule.a64(steps[0]) ** 0.5 if init == "paper" else 1.0
    uniform_std = (1.0 - schedule.a64(steps[0])) ** 0.5

    def run():
        with torch.no_grad():
            xyz0, sigma = lifter.xyz_sigma(uv, conf)
            std = torch.full((n, 17), uniform_std) if sigma is None else sigma
            start = coef * root_centre(xyz0)
            x = torch.cat([offset[..., :2], start.repeat_interleave(h, dim=0)
                           + std.repeat_interleave(h, dim=0)[..., None] * offset[..., 2:]], dim=-1)
            x = ddim(denoiser, schedule, x, steps, 0.0)
            return root_centre(x[..., 2:]).view(n, h, 17, 3).mean(dim=1)

    times = []
    first_ms = None
    for i in range(warmup + repeats):
        start = time.perf_counter()
        mean = run()
        ms = (time.perf_counter() - start) * 1e3
        if first_ms is None:
            first_ms = ms
        if i >= warmup:
            times.append(ms)
    safetensors_io.write(args.response, {"mean": mean.numpy().astype(np.float32)})
    build = "BLAS_INFO=" + next((p.split("=", 1)[1].strip(", ") for p in torch.__config__.show().split()
                                 if p.startswith("BLAS_INFO=")), "?")
    print(json.dumps({"first_ms": first_ms, "times_ms": times, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "blas": f"{build}; loaded {loaded_blas()}"}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - the caller reads stderr and the exit code
        fail(f"{type(e).__name__}: {e}")
