"""A check for code that trains on a GPU, run where there is none (the smoke tests): one training
step's forward on PyTorch's 'meta' device (shapes, no data) under OneDevice, so that a tensor made
on the host inside the step and used with the networks' fails here as it would on a GPU."""
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

META = torch.device("meta")


class OneDevice(TorchFunctionMode):
    """Fails any torch call whose tensors sit on more than one device (a 0-dim host tensor is a
    scalar, which PyTorch lets meet any device). Stricter than CUDA, which also takes host index
    tensors, and than the 'meta' device, whose kernels check fewer arguments than CUDA's."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        devices = {t.device for t in tree_flatten((args, kwargs))[0]
                   if isinstance(t, torch.Tensor) and not (t.device.type == "cpu" and t.dim() == 0)}
        assert len(devices) <= 1, f"{getattr(func, '__name__', func)} mixes tensors on {sorted(map(str, devices))}"
        return func(*args, **kwargs)
