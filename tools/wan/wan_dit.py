"""The Wan2.1 text-to-video DiT, written for ONNX export (opset 17, torch 1.13).

Written from the Wan2.1 paper and from reading wan/modules/model.py of Wan-Video/Wan2.1; the
parameter names and shapes are the official ones, so `diffusion_pytorch_model.safetensors` of a
release loads with strict=True. What differs from the official module is only how the same
arithmetic is spelled so that it exports and runs with fixed-rank tensors:

- one video per batch row, no padding to `seq_len` (the official code pads token sequences to a
  common length and masks them in flash attention; a farm batch is cond and uncond of one job, so
  every row has the same grid);
- rotary embedding in real arithmetic on (even, odd) pairs instead of float64 complex numbers, with
  angles computed in float32 from the grid sizes inside the graph;
- attention written out (softmax(q k^T / sqrt(d)) v), layer norm without affine parameters through
  `F.layer_norm` with constant weights (an `elementwise_affine=False` LayerNorm exports an invalid
  graph at opset 17; `PlainLayerNorm` of the tiny pack), the unpatchify at 7 dimensions (TensorRT's limit) since the time patch is 1.

The network's `timestep` input is the official model's `t`: the flow time times 1000, as the
family's samplers feed it.
"""

import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from flowreel_models import PlainLayerNorm  # noqa: E402


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight


class RmsNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return rms_norm(x, self.weight, self.eps)


def attention(q, k, v):
    """q [B, Lq, n, d], k and v [B, Lk, n, d] -> [B, Lq, n * d]."""
    q, k, v = (x.transpose(1, 2) for x in (q, k, v))
    weights = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1]), dim=-1)
    return torch.matmul(weights, v).transpose(1, 2).flatten(2)


def rope_inverse_frequencies(head_dim, theta=10000.0):
    """Per rotated pair: 1 / theta^(2i / d_part), for the time, height and width parts in turn."""
    half = head_dim // 2
    parts = [half - 2 * (half // 3), half // 3, half // 3]
    inverse = []
    for part in parts:
        dim = 2 * part
        inverse.append(1.0 / np.power(theta, np.arange(0, dim, 2, dtype=np.float64) / dim))
    return parts, [torch.tensor(f, dtype=torch.float32) for f in inverse]


def rope_angles(grid, parts, inverse):
    """Angles [f*h*w, head_dim / 2] of each token of an (f, h, w) grid, time-major like the patches."""
    f, h, w = grid
    angles = []
    for axis, (size, inv) in enumerate(zip((f, h, w), inverse)):
        position = torch.arange(size, dtype=torch.float32)
        a = position[:, None] * inv[None, :]
        shape = [1, 1, 1, a.shape[-1]]
        shape[axis] = -1
        angles.append(a.reshape(shape).expand(f, h, w, a.shape[-1]))
    return torch.cat(angles, dim=-1).reshape(-1, sum(parts))


def rope(x, cos, sin):
    """Rotates (even, odd) pairs of x [B, L, n, d] by the angles whose cos and sin are [L, d/2]."""
    b, length, n, d = x.shape
    pairs = x.reshape(b, length, n, d // 2, 2)
    real, imag = pairs[..., 0], pairs[..., 1]
    cos, sin = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack((real * cos - imag * sin, real * sin + imag * cos), dim=-1).reshape(b, length, n, d)


class Attention(nn.Module):
    def __init__(self, dim, heads, eps):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.norm_q, self.norm_k = RmsNorm(dim, eps), RmsNorm(dim, eps)

    def split(self, x):
        return x.reshape(x.shape[0], x.shape[1], self.heads, -1)

    def forward(self, x, context=None, cos=None, sin=None):
        source = x if context is None else context
        q = self.split(self.norm_q(self.q(x)))
        k = self.split(self.norm_k(self.k(source)))
        v = self.split(self.v(source))
        if cos is not None:
            q, k = rope(q, cos, sin), rope(k, cos, sin)
        return self.o(attention(q, k, v))


class Block(nn.Module):
    def __init__(self, dim, ffn_dim, heads, eps):
        super().__init__()
        self.norm1, self.norm2 = PlainLayerNorm(dim, eps), PlainLayerNorm(dim, eps)
        self.self_attn = Attention(dim, heads, eps)
        self.norm3 = nn.LayerNorm(dim, eps=eps)  # cross_attn_norm=True in every t2v release
        self.cross_attn = Attention(dim, heads, eps)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.GELU(approximate='tanh'), nn.Linear(ffn_dim, dim))
        self.modulation = nn.Parameter(torch.zeros(1, 6, dim))

    def forward(self, x, e, context, cos, sin):
        shift_a, scale_a, gate_a, shift_f, scale_f, gate_f = (self.modulation + e).chunk(6, dim=1)
        y = self.self_attn(self.norm1(x) * (1 + scale_a) + shift_a, cos=cos, sin=sin)
        x = x + y * gate_a
        x = x + self.cross_attn(self.norm3(x), context=context)
        y = self.ffn(self.norm2(x) * (1 + scale_f) + shift_f)
        return x + y * gate_f


class Head(nn.Module):
    def __init__(self, dim, out_features, eps):
        super().__init__()
        self.norm = PlainLayerNorm(dim, eps)
        self.head = nn.Linear(dim, out_features)
        self.modulation = nn.Parameter(torch.zeros(1, 2, dim))

    def forward(self, x, e):
        shift, scale = (self.modulation + e.unsqueeze(1)).chunk(2, dim=1)
        return self.head(self.norm(x) * (1 + scale) + shift)


class WanDit(nn.Module):
    """latent [B, C, f, h, w], timestep [B] (0..1000), text [B, text_len, text_dim] -> velocity like latent."""

    def __init__(self, cfg):
        super().__init__()
        if cfg['model_type'] != 't2v' or not cfg['cross_attn_norm'] or not cfg['qk_norm'] \
                or tuple(cfg['window_size']) != (-1, -1) or cfg['patch_size'][0] != 1:
            raise ValueError(f"only the text-to-video layout of the releases is supported: {cfg}")
        dim, self.dim, self.freq_dim = cfg['dim'], cfg['dim'], cfg['freq_dim']
        self.patch, self.out_dim, eps = tuple(cfg['patch_size']), cfg['out_dim'], cfg['eps']
        self.patch_embedding = nn.Conv3d(cfg['in_dim'], dim, kernel_size=self.patch, stride=self.patch)
        self.text_embedding = nn.Sequential(nn.Linear(cfg['text_dim'], dim), nn.GELU(approximate='tanh'),
                                            nn.Linear(dim, dim))
        self.time_embedding = nn.Sequential(nn.Linear(self.freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.time_projection = nn.Sequential(nn.SiLU(), nn.Linear(dim, dim * 6))
        self.blocks = nn.ModuleList(Block(dim, cfg['ffn_dim'], cfg['num_heads'], eps) for _ in range(cfg['num_layers']))
        self.head = Head(dim, math.prod(self.patch) * self.out_dim, eps)
        self.rope_parts, self.rope_inverse = rope_inverse_frequencies(dim // cfg['num_heads'])
        half = self.freq_dim // 2
        self.register_buffer('time_frequencies', torch.tensor(
            np.power(10000.0, -np.arange(half, dtype=np.float64) / half), dtype=torch.float32), persistent=False)

    def forward(self, latent, timestep, text):
        x = self.patch_embedding(latent)
        b, _, f, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)
        angles = rope_angles((f, h, w), self.rope_parts, self.rope_inverse)
        cos, sin = torch.cos(angles), torch.sin(angles)

        sinusoid = timestep[:, None] * self.time_frequencies[None, :]
        e = self.time_embedding(torch.cat([torch.cos(sinusoid), torch.sin(sinusoid)], dim=1))
        e0 = self.time_projection(e).reshape(b, 6, self.dim)
        context = self.text_embedding(text)

        for block in self.blocks:
            x = block(x, e0, context, cos, sin)
        x = self.head(x, e)

        pt, ph, pw = self.patch
        x = x.reshape(b, f, h, w, ph, pw, self.out_dim).permute(0, 6, 1, 2, 4, 3, 5)
        return x.reshape(b, self.out_dim, f * pt, h * ph, w * pw)


def random_state_dict(cfg, seed):
    """Official names and shapes, random values with the spread of a trained model's layers.

    The official init zeroes the head (the output would be exactly zero); here every tensor is
    random so that a parity check exercises every weight. Values are written into one module's
    parameters in place, so a full-size model is held once.
    """
    gen = torch.Generator().manual_seed(seed)
    state = WanDit(cfg).state_dict()
    with torch.no_grad():
        for name, tensor in state.items():
            if name.endswith('modulation'):
                tensor.normal_(0.0, 1.0 / math.sqrt(cfg['dim']), generator=gen)
            elif 'norm' in name and name.endswith('weight'):
                tensor.normal_(1.0, 0.1, generator=gen)
            elif name.endswith('bias'):
                tensor.normal_(0.0, 0.02, generator=gen)
            else:
                tensor.normal_(0.0, 1.0 / math.sqrt(math.prod(tensor.shape[1:])), generator=gen)
    return state


def network_spec(cfg, file='dit.onnx'):
    """The manifest entry of the exported DiT (docs/model-packs.md)."""
    c = cfg['in_dim']
    return {'file': file,
            'inputs': [{'name': 'latent', 'dtype': 'float32', 'shape': ['batch', c, 't', 'h', 'w']},
                       {'name': 'timestep', 'dtype': 'float32', 'shape': ['batch']},
                       {'name': 'umt5_tokens', 'dtype': 'float32', 'shape': ['batch', cfg['text_len'], cfg['text_dim']]}],
            'outputs': [{'name': 'velocity', 'dtype': 'float32', 'shape': ['batch', cfg['out_dim'], 't', 'h', 'w']}]}
