"""weights/MODEL_CARD.md from a train.py checkpoint."""
import json
import time

CMU_ACK = ("The data used in this project was obtained from mocap.cs.cmu.edu. "
           "The database was created with funding from NSF EIA-0196217.")
HDM05 = ('M. Müller, T. Röder, M. Clausen, B. Eberhardt, B. Krüger, A. Weber, "Documentation Mocap '
         'Database HDM05", Technical Report CG-2007-2, Universität Bonn, 2007 (CC BY-SA 3.0).')


def _params(cfg, kind):
    from .model import from_config
    return sum(p.numel() for p in from_config(kind, cfg).parameters())


def _data_summary(data_dir):
    """Frames per source and the subject lists, from the prepared files' metadata."""
    import os
    from . import safetensors_io
    parts = []
    for split in ("train", "test"):
        path = os.path.join(data_dir or "", split + ".safetensors")
        if not os.path.exists(path):
            return "see data/prepared metadata (`diffpose.clips`, `diffpose.subjects`)"
        _, meta = safetensors_io.read(path)
        frames = {}
        for c in json.loads(meta.get("diffpose.clips", "[]")):
            frames[c["source"]] = frames.get(c["source"], 0) + int(c["frames"])
        subj = json.loads(meta.get("diffpose.subjects", "[]"))
        parts.append(f"{split}: " + ", ".join(f"{k} {v} frames" for k, v in sorted(frames.items()))
                     + f" (30 fps; subjects {', '.join(subj)})")
    return "; ".join(parts)


def write_card(path, ck, weights_path, ema, full_eval=None):
    cfg = ck["config"]
    a = ck["args"]
    best = ck.get("best") or {}
    ev = lambda k: f"{best[k]:.1f}" if k in best else "TBD"  # noqa: E731
    subjects = _data_summary(a.get("data"))
    text = f"""# Model card: `{weights_path}`

DiffPose (Gong et al., "DiffPose: Toward More Reliable 3D Pose Estimation", CVPR 2023) frame
model re-implemented and trained from scratch for diffpose-webgpu: a GCN/attention **lifter**
(GCNpose, 2D -> 3D starting point) and a GCN/attention **denoiser** (GCNdiff) run with DDIM.
Not the authors' released weights (those were trained on Human3.6M, which we do not use).

## Intended use
Single-person, single-frame 2D -> 3D lifting of 17 Human3.6M-order keypoints (COCO/MediaPipe
mapped by the engine) in the browser/Node via WebGPU. Output: camera-frame, root-relative 3D
in metres, plus a per-joint spread when several hypotheses are drawn. Not for safety-critical
use, biometrics or identification.

## Architecture
| network | hidden | layers | heads | in -> out | parameters |
|---|---|---|---|---|---|
| lifter (GCNpose) | {cfg['lifter']['hidden']} | {cfg['lifter']['layers']} | {cfg['lifter']['heads']} | 2 -> 3 | {_params(cfg['lifter'], 'lifter'):,} |
| denoiser (GCNdiff) | {cfg['denoiser']['hidden']} | {cfg['denoiser']['layers']} | {cfg['denoiser']['heads']} | 5 -> 5 | {_params(cfg['denoiser'], 'denoiser'):,} |

Diffusion: beta linear {cfg['diffusion']['betaStart']} .. {cfg['diffusion']['betaEnd']}, T = {cfg['diffusion']['numSteps']};
intended sampling: DDIM timesteps [12, 0], eta 0, init `official` (uv = keypoints, xyz = lifter output).
Weights are the {'EMA (rate %s)' % a['ema'] if ema else 'raw'} parameters, F32.

## Training data
Motion capture converted to the 17-joint skeleton by `prepare-data` (`data/prepared/*.safetensors`,
{subjects}), from:
- **CMU Graphics Lab Motion Capture Database.** {CMU_ACK}
- **HDM05.** {HDM05} These weights are trained on HDM05 data and are therefore shared under
  CC BY-SA 3.0 terms as far as they are a derivative of it.

Examples are made on the fly (`train/camera.py`, docs/camera-model.md): random virtual cameras
(yaw 0-360 deg, distance 2.5-7 m, height 0.4-2.4 m, 40-80 deg FOV, five image shapes), a
synthetic 2D-detector error model (per-joint Gaussian noise scaled by the person's pixel height,
3% outliers, confidence from the noise level), left/right mirroring (p = {a['mirror']}). The test
subjects are held out (`data/prepared/test.safetensors`).

## Training
`train/train.py`: both networks trained together, one batch of {a['batch']} examples per step.
Lifter: MPJPE loss, noisy uv -> root-relative camera-frame xyz. Denoiser: GMM-scaled forward
diffusion with x_0 = [uv ({a['uv0']} keypoints), xyz], scale [su, sv, 1, 1, 1] from the default
mixture rule (docs/formats.md), loss ||eps*scale - g(x_t, t)||^2, t uniform with the released
code's (t, T-1-t) pairing. Adam, lr {a['lr']} (warm-up {a['warmup']} steps) cosine to {a['lr_min']} over
{a['steps']} steps, gradient clip {a['grad_clip']}, EMA {a['ema']}.

- {ck.get('training_summary', '')}
- checkpoint step {ck['step']}; card written {time.strftime('%Y-%m-%d %H:%M')}.

## Evaluation
Quick eval during training (`train/train.py`, {a['eval_size']} evenly spaced validation examples
from the TRAINING split (every 20th frame, its own cameras and noise, seed 4242; checkpoints of
older runs were chosen on the test split: see `split` in the eval record), MPJPE in mm,
root-relative (test-split numbers: `train/evaluate.py`, `diffpose eval`):

| method | MPJPE | PA-MPJPE |
|---|---|---|
| lifter alone | {ev('lifter_mm')} | {ev('lifter_pa_mm')} |
| lifter + DDIM [12, 0] (official init) | {ev('diffpose_mm')} | {ev('diffpose_pa_mm')} |

{full_eval or "Full test split with the TypeScript evaluator (`diffpose eval`): not run for this checkpoint."}
Human3.6M protocol numbers: not measured (the dataset is not used); the paper reports 49.7 mm
(frame model, CPN 2D) for its own Human3.6M-trained model, for orientation only.

## Limitations
- Trained on a small amount of mocap (tens of minutes) and synthetic 2D noise; real detector
  errors (occlusion, truncated people, unusual viewpoints) may hurt more than the eval suggests.
- Metric scale is ambiguous from one image: absolute limb lengths are learned from the mocap
  subjects' proportions.
- The per-joint spread is only meaningful with several hypotheses (init `paper` or eta > 0).
"""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    import os
    os.replace(tmp, path)


def summary_json(ck):
    return json.dumps({"step": ck["step"], "best": ck.get("best")})
