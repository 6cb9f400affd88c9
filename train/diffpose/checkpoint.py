"""Checkpoints in the RELEASED layout (GONGJIA0208/Diffpose):
torch.save([state_dict_with_module_prefix, optimizer_state, epoch, step, ema_state], path).

The released EMA state is the EMAHelper shadow: parameter name -> tensor; EMAHelper unwraps
DataParallel, so its names have NO `module.` prefix (only the model state dict has it).
"""
import torch


def _prefixed(sd):
    return {("module." + k if not k.startswith("module.") else k): v.detach().clone()
            for k, v in sd.items()}


def _strip(k):
    return k[len("module."):] if k.startswith("module.") else k


def save_released(path, model, optimizer_state=None, epoch=0, step=0, ema_state=None,
                  with_ema=True):
    """model: nn.Module or state dict. ema_state defaults to a copy of the parameters."""
    sd = model.state_dict() if hasattr(model, "state_dict") else model
    sd = _prefixed(sd)
    if optimizer_state is None:
        optimizer_state = {"state": {}, "param_groups": []}
    states = [sd, optimizer_state, epoch, step]
    if with_ema:
        if ema_state is None:
            params = model.named_parameters() if hasattr(model, "named_parameters") else sd.items()
            ema_state = {k: v for k, v in params}
        states.append({_strip(k): v.detach().clone() for k, v in ema_state.items()})
    torch.save(states, path)


def load_released(path, use_ema=False):
    """Returns a state dict without `module.` (EMA shadow when use_ema and present)."""
    states = torch.load(path, map_location="cpu")
    sd = {_strip(k): v for k, v in states[0].items()}
    if use_ema and len(states) > 4 and states[4]:
        sd.update({_strip(k): v for k, v in states[4].items()})
    return sd
