"""Loads modules of the official Wan2.1 code (github.com/Wan-Video/Wan2.1) from a local copy.

The official code is never part of this repository: the reference checks run it from a folder the
user names (`--official DIR`, a checkout of Wan-Video/Wan2.1). It was written for torch 2.x on CUDA
with flash-attn, diffusers, einops, transformers and ftfy installed; this machine has Debian's torch
1.13 and none of the others. So before importing, this module puts small stand-ins into
`sys.modules` for the parts the networks do not compute with (diffusers' config mixins, the
tokenizer's imports) and for the two torch 2 functions they call. What the stand-ins replace never
touches a tensor the comparisons read, except `scaled_dot_product_attention` and einops'
`rearrange`, which are written out exactly (softmax(q k^T / sqrt(d)) v; a reshape).

The package `wan/__init__.py` imports every pipeline (and their dependencies), so the packages
`wan` and `wan.modules` are created empty here and only the module files asked for are executed.
"""

import functools
import importlib
import inspect
import math
import sys
import types
from pathlib import Path

import torch
import torch.nn.functional as F


def _stand_in(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    return module


def _scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
    # torch 2's function on CPU, as the official fallback calls it: no mask, no dropout at eval.
    if attn_mask is not None or is_causal or dropout_p:
        raise NotImplementedError("the reference checks call attention without mask, causality or dropout")
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), dim=-1)
    return weights @ v


def _rearrange(x, pattern, **sizes):
    # Only the two patterns vae.py uses (AttentionBlock writes one as 'h w-> b', so spacing
    # around the arrow is normalised first).
    pattern = ' -> '.join(side.strip() for side in pattern.split('->'))
    if pattern == 'b c t h w -> (b t) c h w':
        b, c, t, h, w = x.shape
        return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
    if pattern == '(b t) c h w -> b c t h w':
        bt, c, h, w = x.shape
        t = sizes['t']
        return x.reshape(bt // t, t, c, h, w).permute(0, 2, 1, 3, 4)
    raise NotImplementedError(pattern)


class _ConfigMixin:
    # The solver calls this only to rewrite a legacy solver_type; diffusers updates the stored config.
    def register_to_config(self, **changes):
        self.config.__dict__.update(changes)


def _register_to_config(init):
    # As diffusers does, keep the constructor's arguments (defaults filled in) as `self.config`:
    # the UniPC solver reads its options (solver_order, solver_type, lower_order_final...) from there.
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        init(self, *args, **kwargs)
        arguments = {k: v for k, v in bound.arguments.items() if k != 'self'}
        object.__setattr__(self, 'config', types.SimpleNamespace(**arguments))

    return wrapper


class _SchedulerMixin:
    pass


class _SchedulerOutput:
    def __init__(self, prev_sample):
        self.prev_sample = prev_sample


def _install_stand_ins():
    if not hasattr(F, 'scaled_dot_product_attention'):
        F.scaled_dot_product_attention = _scaled_dot_product_attention
    if not torch.cuda.is_available():
        # t5.py evaluates torch.cuda.current_device() as a default argument when it is imported.
        torch.cuda.current_device = lambda: 'cpu'
    _stand_in('diffusers')
    _stand_in('diffusers.configuration_utils', ConfigMixin=_ConfigMixin, register_to_config=_register_to_config)
    _stand_in('diffusers.models')
    _stand_in('diffusers.models.modeling_utils', ModelMixin=torch.nn.Module)
    # fm_solvers_unipc.py: the scheduler base classes only add diffusers' save/load plumbing, and
    # `deprecate` only warns about arguments the Wan pipeline does not pass.
    _stand_in('diffusers.schedulers')
    _stand_in('diffusers.schedulers.scheduling_utils', KarrasDiffusionSchedulers=[], SchedulerMixin=_SchedulerMixin,
              SchedulerOutput=_SchedulerOutput)
    _stand_in('diffusers.utils', deprecate=lambda *args, **kwargs: None, is_scipy_available=lambda: False)
    if 'einops' not in sys.modules:
        try:
            importlib.import_module('einops')
        except ModuleNotFoundError:
            _stand_in('einops', rearrange=_rearrange)
    # tokenizers.py is imported by t5.py at module level; the checks tokenize in Java, not here.
    _stand_in('ftfy', fix_text=lambda text: text)
    try:
        importlib.import_module('regex')
    except ModuleNotFoundError:
        _stand_in('regex', sub=__import__('re').sub)
    _stand_in('transformers', AutoTokenizer=None)


def load(official_dir, module):
    """Imports `wan.modules.<module>` (model, t5, vae, attention) or `wan.utils.<module>` from the copy."""
    root = Path(official_dir).resolve()
    if not (root / 'wan' / 'modules' / 'model.py').is_file():
        raise SystemExit(f"{root} is not a checkout of Wan-Video/Wan2.1 (no wan/modules/model.py)")
    _install_stand_ins()
    for package, folder in (('wan', root / 'wan'), ('wan.modules', root / 'wan' / 'modules'),
                            ('wan.utils', root / 'wan' / 'utils')):
        if package not in sys.modules:
            _stand_in(package).__path__ = [str(folder)]
    return importlib.import_module(module if '.' in module else f'wan.modules.{module}')
