"""The umT5-XXL text encoder of Wan2.1 (encoder only), written for export to ONNX.

Written from reading wan/modules/t5.py of Wan-Video/Wan2.1; the module and parameter names equal
those of its `T5Encoder` so the release's `models_t5_umt5-xxl-enc-bf16.pth` loads with strict key and
shape checks. The computation is the official one in fp32: a pre-norm T5 encoder with RMS norms
without mean subtraction, unscaled attention, a per-layer bidirectional relative-position bias
(`shared_pos=False`) and a gated tanh-GELU feed-forward.

What differs, so that the graph exports cleanly at opset 17 under torch 1.13:
- relative-position buckets come from a small integer table indexed by the clamped distance, built
  here once with the official float formula; the graph then never evaluates `log` near the
  boundaries where a different float library could floor 1.9999999 instead of 2.0;
- the output is multiplied by the attention mask: the official `T5EncoderModel` returns only the
  first `seq_len` rows and the DiT pads them back with zeros, so the padded rows are exactly zero.

Inputs `input_ids` and `attention_mask` are int64 [batch, text_len]; output `tokens` is float32
[batch, text_len, dim]. Both axes are dynamic: masked keys get exactly zero weight, so the valid rows
do not depend on how much padding follows them.
"""
import math
import warnings
from pathlib import Path

import torch
import torch.nn as nn

import config
import onnx_export

MAX_DISTANCE = 128  # T5RelativeEmbedding's default max_dist, which umt5_xxl keeps
EPS = 1e-6


class RMSNorm(nn.Module):
    def __init__(self, dim, device=None):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim, device=device))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + EPS))


class TanhGelu(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class Attention(nn.Module):
    def __init__(self, dim, dim_attn, heads, device=None):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim_attn, bias=False, device=device)
        self.k = nn.Linear(dim, dim_attn, bias=False, device=device)
        self.v = nn.Linear(dim, dim_attn, bias=False, device=device)
        self.o = nn.Linear(dim_attn, dim, bias=False, device=device)

    def forward(self, x, bias):
        b, n = x.shape[0], self.heads
        q, k, v = (f(x).reshape(b, -1, n, f.out_features // n).transpose(1, 2) for f in (self.q, self.k, self.v))
        weights = torch.softmax(q @ k.transpose(-2, -1) + bias, dim=-1)  # T5 does not scale
        return self.o((weights @ v).transpose(1, 2).reshape(b, -1, self.o.in_features))


class FeedForward(nn.Module):
    def __init__(self, dim, dim_ffn, device=None):
        super().__init__()
        self.gate = nn.Sequential(nn.Linear(dim, dim_ffn, bias=False, device=device), TanhGelu())
        self.fc1 = nn.Linear(dim, dim_ffn, bias=False, device=device)
        self.fc2 = nn.Linear(dim_ffn, dim, bias=False, device=device)

    def forward(self, x):
        return self.fc2(self.fc1(x) * self.gate(x))


class PositionBias(nn.Module):
    """A per-layer table of one bias per head and relative-position bucket."""

    def __init__(self, buckets, heads, device=None):
        super().__init__()
        self.embedding = nn.Embedding(buckets, heads, device=device)

    def forward(self, bucket_ids):  # [L, L] -> [1, heads, L, L]
        return self.embedding(bucket_ids).permute(2, 0, 1).unsqueeze(0)


class Block(nn.Module):
    def __init__(self, cfg, device=None):
        super().__init__()
        self.norm1 = RMSNorm(cfg['dim'], device)
        self.attn = Attention(cfg['dim'], cfg['dim_attn'], cfg['num_heads'], device)
        self.norm2 = RMSNorm(cfg['dim'], device)
        self.ffn = FeedForward(cfg['dim'], cfg['dim_ffn'], device)
        self.pos_embedding = PositionBias(cfg['num_buckets'], cfg['num_heads'], device)

    def forward(self, x, bucket_ids, mask_bias):
        x = x + self.attn(self.norm1(x), self.pos_embedding(bucket_ids) + mask_bias)
        return x + self.ffn(self.norm2(x))


def distance_buckets(num_buckets, max_distance=MAX_DISTANCE):
    """Bucket of each distance 0..max_distance for keys at or before the query; keys after it
    add num_buckets // 2. The official formula in torch fp32; farther distances share the last.
    """
    half = num_buckets // 2
    exact = half // 2
    d = torch.arange(max_distance + 1)
    large = exact + (torch.log(d.clamp(min=1).float() / exact) / math.log(max_distance / exact)
                     * (half - exact)).long()
    return torch.where(d < exact, d, large.clamp(max=half - 1))


class UMT5Encoder(nn.Module):
    def __init__(self, cfg, device=None):
        super().__init__()
        if cfg.get('shared_pos', False):
            raise ValueError("umT5 has a position bias per layer (shared_pos=False)")
        self.half_buckets = cfg['num_buckets'] // 2
        self.token_embedding = nn.Embedding(cfg['vocab_size'], cfg['dim'], device=device)
        self.blocks = nn.ModuleList(Block(cfg, device) for _ in range(cfg['num_layers']))
        self.norm = RMSNorm(cfg['dim'], device)
        self.register_buffer('buckets', distance_buckets(cfg['num_buckets']), persistent=False)

    def bucket_ids(self, length, device):
        pos = torch.arange(length, device=device)
        rel = pos.unsqueeze(0) - pos.unsqueeze(1)  # key minus query
        return self.buckets[rel.abs().clamp(max=self.buckets.shape[0] - 1)] + (rel > 0).long() * self.half_buckets

    def forward(self, input_ids, attention_mask):
        x = self.token_embedding(input_ids)
        bucket_ids = self.bucket_ids(input_ids.shape[1], input_ids.device)
        # The official masked_fill with the dtype's lowest value: masked keys get exactly zero weight.
        mask_bias = (attention_mask == 0).to(x.dtype)[:, None, None, :] * torch.finfo(x.dtype).min
        for block in self.blocks:
            x = block(x, bucket_ids, mask_bias)
        return self.norm(x) * attention_mask.unsqueeze(-1).to(x.dtype)


def build(cfg, device=None):
    """Our encoder for a config of config.py's 't5' form; device='meta' allocates no weights."""
    return UMT5Encoder(cfg, device).eval()


def load_state_dict(module, state_dict):
    """Strict load that moves each tensor in as fp32 and drops the source as it goes.

    For the full encoder (5.7B parameters: 11.4 GB in bf16, 22.7 GB in fp32) this keeps the peak
    near one fp32 copy, where module.load_state_dict would hold a random-initialised fp32 copy too.
    """
    own = dict(module.named_parameters())
    missing, unexpected = own.keys() - state_dict.keys(), state_dict.keys() - own.keys()
    if missing or unexpected:
        raise KeyError(f"state dict mismatch: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}")
    for name in list(state_dict):
        if tuple(state_dict[name].shape) != tuple(own[name].shape):
            raise ValueError(f"{name}: shape {tuple(state_dict[name].shape)}, want {tuple(own[name].shape)}")
        owner, _, leaf = name.rpartition('.')
        value = state_dict.pop(name).to(torch.float32)
        module.get_submodule(owner)._parameters[leaf] = nn.Parameter(value, requires_grad=False)
    return module


def load_release(folder, cfg):
    """The release's encoder weights (bf16) as our module in fp32."""
    state = torch.load(Path(folder) / config.RELEASE['t5_weights'], map_location='cpu')
    return load_state_dict(build(cfg, device='meta'), state).eval().requires_grad_(False)


def random_state_dict(cfg, seed):
    """Official keys in bf16, as the release stores them.

    Spreads are chosen so that nothing is degenerate at a reduced size: attention logits of order
    one to a few (unscaled T5 attention is then far from uniform), position biases that change the
    pattern, norm weights away from one, and a feed-forward that contributes as much as attention.
    """
    gen = torch.Generator().manual_seed(seed)
    module = build(cfg, device='meta')

    def normal(shape, std, mean=0.0):
        return torch.randn(*shape, generator=gen) * std + mean

    state = {}
    for name, p in module.named_parameters():
        shape, leaf = tuple(p.shape), name.split('.')[-2:]
        if name == 'token_embedding.weight':
            value = normal(shape, 1.0)
        elif leaf[-1] == 'weight' and len(shape) == 1:  # norms
            value = normal(shape, 0.2, 1.0)
        elif 'pos_embedding' in name:
            value = normal(shape, 1.0)
        else:  # linear layers: std 1/sqrt(fan_in) keeps activations of order one
            value = normal(shape, shape[1] ** -0.5)
        state[name] = value.to(torch.bfloat16)
    return state


def example_inputs(cfg, batch, text_len, seed=0):
    """Ids of different lengths per row (at least one token), the rest padding with id 0."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, cfg['vocab_size'], (batch, text_len), generator=gen)
    lengths = [max(1, text_len // (2 + i)) for i in range(batch)]
    mask = torch.zeros(batch, text_len, dtype=torch.long)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
        ids[i, n - 1] = 1  # </s> closes each prompt
    return ids * mask, mask


def network_spec(cfg, text_len, file='text_umt5.onnx'):
    """The manifest entry of the exported encoder (docs/model-packs.md): text_len fixed, as the DiT's input."""
    return {'file': file,
            'inputs': [{'name': 'input_ids', 'dtype': 'int64', 'shape': ['batch', text_len]},
                       {'name': 'attention_mask', 'dtype': 'int64', 'shape': ['batch', text_len]}],
            'outputs': [{'name': 'tokens', 'dtype': 'float32', 'shape': ['batch', text_len, cfg['dim']]}]}


def export_onnx(module, path, text_len, batch=2):
    """Exports to `path` (opset 17); over 2 GB the weights go to `<name>.data` beside it."""
    path = Path(path)
    cfg = {'vocab_size': module.token_embedding.num_embeddings, 'dim': module.norm.weight.shape[0]}
    ids, mask = example_inputs(cfg, batch, text_len)
    with warnings.catch_warnings():
        # Benign: shape inference has no rule for the constant bucket table.
        warnings.filterwarnings('ignore', 'The shape inference of prim::Constant')
        onnx_export.export(module, {'input_ids': ids, 'attention_mask': mask}, path.parent,
                           network_spec(cfg, text_len, path.name))
    return path
