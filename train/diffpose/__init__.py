"""DiffPose (Gong et al., CVPR 2023) in PyTorch: model, diffusion, export.

Written from ../shared/docs/model-spec.md; state-dict names match the released checkpoints.
"""
