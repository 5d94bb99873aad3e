"""PyTorch definitions of the tiny Flowreel pack (docs/model-packs.md): plain fp32 nn.Modules.

MovieGen-style layout: three text encoders (CLIP-, ByT5- and UL2-like), a flow-matching DiT that
cross-attends to all three, a causal 3D TAE decoder and a 2x frame upsampler.

Export rules these modules follow (shared/NOTES.md, "Model export and ONNX Runtime"):
sizes are read from tensors inside forward and never int()-ed, attention is matmul-softmax-matmul
with an additive -1e4 mask, normalisations without affine go through F.layer_norm with constant
buffers, position tables are resized with F.interpolate (never sliced), reshapes stay <= 7 dims.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT_CHANNELS = 8
MASK_VALUE = -1e4


def attention(q, k, v, scale, bias=None):
    """q [B,heads,N,d], k/v [B,heads,M,d]; bias broadcasts to [B,heads,N,M]."""
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if bias is not None:
        scores = scores + bias
    return torch.matmul(scores.softmax(-1), v)


def split_heads(x, heads):
    return x.reshape(x.shape[0], x.shape[1], heads, -1).transpose(1, 2)


def merge_heads(x):
    return x.transpose(1, 2).flatten(2)


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, bias=None):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        y = attention(split_heads(q, self.heads), split_heads(k, self.heads), split_heads(v, self.heads),
                      self.scale, bias)
        return self.out(merge_heads(y))


class CrossAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x, context):
        k, v = self.kv(context).chunk(2, dim=-1)
        y = attention(split_heads(self.q(x), self.heads), split_heads(k, self.heads), split_heads(v, self.heads),
                      self.scale)
        return self.out(merge_heads(y))


def mlp(dim, ratio=4):
    return nn.Sequential(nn.Linear(dim, ratio * dim), nn.GELU(), nn.Linear(ratio * dim, dim))


class PlainLayerNorm(nn.Module):
    """LayerNorm without affine. nn.LayerNorm(elementwise_affine=False) exports an invalid graph at
    opset 17, so the weight and bias are constant buffers instead."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.register_buffer("ones", torch.ones(dim), persistent=False)
        self.register_buffer("zeros", torch.zeros(dim), persistent=False)

    def forward(self, x):
        return F.layer_norm(x, self.ones.shape, self.ones, self.zeros, self.eps)


class ChannelRMSNorm(nn.Module):
    """RMS over channels at each position. Unlike GroupNorm it sees no neighbours, so a tile decodes
    exactly as the same region of the whole picture does."""

    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        weight = self.weight.reshape((1, -1) + (1,) * (x.dim() - 2))
        return x * torch.rsqrt((x * x).mean(1, keepdim=True) + self.eps) * weight


# ---------------------------------------------------------------------------------------------
# Text encoders

class TextBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = mlp(dim)

    def forward(self, x, bias):
        x = x + self.attn(self.norm1(x), bias)
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    """Bidirectional transformer. Padding positions come out exactly zero (the DiT is trained on
    zero-padded token sequences); `pooled` is the mean over the real tokens."""

    def __init__(self, vocab_size, max_length, width, pooled, layers=2, heads=4):
        super().__init__()
        self.pooled = pooled
        self.embed = nn.Embedding(vocab_size, width)
        self.position = nn.Parameter(torch.randn(max_length, width) * 0.02)
        self.blocks = nn.ModuleList(TextBlock(width, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        nn.init.normal_(self.embed.weight, std=0.02)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.to(torch.float32)
        bias = (1.0 - mask)[:, None, None, :] * MASK_VALUE
        x = self.embed(input_ids) + self.position
        for block in self.blocks:
            x = block(x, bias)
        tokens = self.norm(x) * mask[:, :, None]
        if not self.pooled:
            return tokens
        pooled = tokens.sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return tokens, pooled


# ---------------------------------------------------------------------------------------------
# DiT

def resize_table(table, length):
    """Linear interpolation of a [L, D] table to [length, D]. align_corners=True keeps length 1 well
    defined and identical in PyTorch and ONNX Runtime (both take row 0)."""
    return F.interpolate(table.t()[None], size=length, mode="linear", align_corners=True)[0].t()


def timestep_embedding(s, freqs):
    args = (s * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class DitBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = PlainLayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm_cross = nn.LayerNorm(dim, eps=1e-6)
        self.cross = CrossAttention(dim, heads)
        self.norm2 = PlainLayerNorm(dim)
        self.mlp = mlp(dim)
        self.ada = nn.Linear(dim, 6 * dim)

    def forward(self, x, c, context):
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(F.silu(c)).chunk(6, dim=-1)
        x = x + gate1[:, None] * self.attn(modulate(self.norm1(x), shift1, scale1))
        x = x + self.cross(self.norm_cross(x), context)
        return x + gate2[:, None] * self.mlp(modulate(self.norm2(x), shift2, scale2))


class Dit(nn.Module):
    """Velocity predictor v(x_s, s) for flow matching, patch (1, 2, 2)."""

    TEXT = (("clip", 64), ("byt5", 48), ("ul2", 64))

    def __init__(self, channels=LATENT_CHANNELS, dim=128, layers=4, heads=4, table=(16, 32, 32), freq_dim=256):
        super().__init__()
        self.channels = channels
        self.patch = nn.Conv3d(channels, dim, kernel_size=(1, 2, 2), stride=(1, 2, 2))
        self.pos_t = nn.Parameter(torch.randn(table[0], dim) * 0.02)
        self.pos_h = nn.Parameter(torch.randn(table[1], dim) * 0.02)
        self.pos_w = nn.Parameter(torch.randn(table[2], dim) * 0.02)
        half = freq_dim // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half),
                             persistent=False)
        self.time_mlp = nn.Sequential(nn.Linear(freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.pooled_proj = nn.Linear(dict(self.TEXT)["clip"], dim)
        self.text_proj = nn.ModuleDict({name: nn.Linear(width, dim) for name, width in self.TEXT})
        self.blocks = nn.ModuleList(DitBlock(dim, heads) for _ in range(layers))
        self.final_norm = PlainLayerNorm(dim)
        self.final_ada = nn.Linear(dim, 2 * dim)
        self.final = nn.Linear(dim, 4 * channels)
        # AdaLN-Zero would zero these; small random values keep a random-weight pack's output non-zero
        # so that parity tests prove something.
        for layer in [b.ada for b in self.blocks] + [self.final_ada, self.final]:
            nn.init.normal_(layer.weight, std=0.02)
            nn.init.zeros_(layer.bias)

    def positions(self, t, h, w):
        pt = resize_table(self.pos_t, t)
        ph = resize_table(self.pos_h, h)
        pw = resize_table(self.pos_w, w)
        grid = pt[:, None, None, :] + ph[None, :, None, :] + pw[None, None, :, :]
        return grid.reshape(-1, grid.shape[-1])

    def forward(self, latent, timestep, clip_tokens, clip_pooled, byt5_tokens, ul2_tokens):
        x = self.patch(latent)
        b, t, h, w = x.shape[0], x.shape[2], x.shape[3], x.shape[4]
        x = x.flatten(2).transpose(1, 2) + self.positions(t, h, w)[None]
        context = torch.cat([self.text_proj["clip"](clip_tokens), self.text_proj["byt5"](byt5_tokens),
                             self.text_proj["ul2"](ul2_tokens)], dim=1)
        c = self.time_mlp(timestep_embedding(timestep, self.freqs)) + self.pooled_proj(clip_pooled)
        for block in self.blocks:
            x = block(x, c, context)
        shift, scale = self.final_ada(F.silu(c)).chunk(2, dim=-1)
        x = self.final(modulate(self.final_norm(x), shift, scale))
        x = x.reshape(b, t, h, w, self.channels, 2, 2).permute(0, 4, 1, 2, 5, 3, 6)
        return x.reshape(b, self.channels, t, h * 2, w * 2)


# ---------------------------------------------------------------------------------------------
# Causal TAE decoder

class CausalConv3d(nn.Module):
    """Zero padding on the front of time only, "same" zero padding in space.

    A conv with a temporal kernel k_t > 1 continues a video chunk by chunk through a cache: the last
    k_t - 1 time steps of its input from the previous chunk (zeros at the start of a video, which is
    exactly the causal zero padding). forward returns the output and the next cache, the last k_t - 1
    steps of [cache; input] (None for a per-frame conv)."""

    def __init__(self, cin, cout, kernel=(3, 3, 3)):
        super().__init__()
        self.time_pad = kernel[0] - 1
        self.kernel = kernel
        self.conv = nn.Conv3d(cin, cout, kernel, padding=(0, kernel[1] // 2, kernel[2] // 2))

    def forward(self, x, cache=None):
        if not self.time_pad:
            return self.conv(x), None
        if cache is None:  # start of a video
            cache = x.new_zeros(x.shape[0], x.shape[1], self.time_pad, x.shape[3], x.shape[4])
        x = torch.cat([cache, x], dim=2)
        return self.conv(x), x[:, :, -self.time_pad:]


class ResBlock3d(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm1 = ChannelRMSNorm(channels)
        self.conv1 = CausalConv3d(channels, channels)
        self.norm2 = ChannelRMSNorm(channels)
        self.conv2 = CausalConv3d(channels, channels)

    def forward(self, x, cache1=None, cache2=None):
        h, next1 = self.conv1(F.silu(self.norm1(x)), cache1)
        y, next2 = self.conv2(F.silu(self.norm2(h)), cache2)
        return x + y, next1, next2


class UpStage(nn.Module):
    """Nearest 2x per frame, then a per-frame 3x3 conv."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = CausalConv3d(cin, cout, (1, 3, 3))
        self.norm = ChannelRMSNorm(cout)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=(1.0, 2.0, 2.0), mode="nearest")
        return F.silu(self.norm(self.conv(x)[0]))


class CausalDecoder(nn.Module):
    """(latent [B,8,t,h,w], cache_0, cache_1, cache_2) -> (frames [B,3,4t,8h,8w], next_cache_0, ...).

    Streaming: one cache per causal temporal conv (`causal_convs`, network order: conv_in, res.conv1,
    res.conv2), each [B, c_in, k_t - 1, h, w]; zeros (or omitted) at the start of a video, then the
    previous call's next caches. Every latent gives 4 frames; the caller drops the first
    TIME_FACTOR - 1 frames of a video, so latent 0 gives frame 0 and latent g >= 1 frames 4g-3..4g.
    All temporal mixing happens at latent rate, before depth-to-time."""

    TIME_FACTOR = 4

    def __init__(self, channels=LATENT_CHANNELS, width=64, stages=(32, 16, 16)):
        super().__init__()
        self.width = width
        self.conv_in = CausalConv3d(channels, width)
        self.res = ResBlock3d(width)
        self.norm = ChannelRMSNorm(width)
        self.time_up = CausalConv3d(width, self.TIME_FACTOR * width, (1, 3, 3))
        chans = (width,) + tuple(stages)
        self.stages = nn.ModuleList(UpStage(a, b) for a, b in zip(chans[:-1], chans[1:]))
        self.conv_out = CausalConv3d(chans[-1], 3, (1, 3, 3))

    def forward(self, latent, *caches):
        caches = caches or (None,) * len(self.causal_convs())
        x, next0 = self.conv_in(latent, caches[0])
        x, next1, next2 = self.res(x, caches[1], caches[2])
        x, _ = self.time_up(F.silu(self.norm(x)))
        b, t, h, w = x.shape[0], x.shape[2], x.shape[3], x.shape[4]
        x = x.reshape(b, self.TIME_FACTOR, self.width, t, h, w).permute(0, 2, 3, 1, 4, 5)
        x = x.reshape(b, self.width, t * self.TIME_FACTOR, h, w)
        for stage in self.stages:
            x = stage(x)
        return self.conv_out(x)[0], next0, next1, next2

    def causal_convs(self):
        """The convs with a temporal kernel > 1, in network order: each needs a cache. Every other conv
        (time_up, the stages, conv_out) is per frame."""
        convs = [m for m in self.modules() if isinstance(m, CausalConv3d) and m.time_pad]
        assert convs == [self.conv_in, self.res.conv1, self.res.conv2], "forward's cache order is stale"
        assert all(m.kernel_size[0] == 1 for m in self.modules()
                   if isinstance(m, nn.Conv3d) and all(m is not c.conv for c in convs))
        return convs

    def cache_shapes(self):
        """(channels, time steps) of each cache, the h and w being the latent's."""
        return [(c.conv.in_channels, c.time_pad) for c in self.causal_convs()]

    def spatial_context(self):
        """Receptive-field radius in latent pixels, by walking exact index intervals along one axis."""
        latent_radius = sum(c.kernel[1] // 2 for c in [self.conv_in, self.res.conv1, self.res.conv2, self.time_up])
        # Each entry: (upsample before?, conv radius) at the resolution after the upsample.
        chain = [(True, s.conv.kernel[1] // 2) for s in self.stages] + [(False, self.conv_out.kernel[1] // 2)]
        scale = 2 ** len(self.stages)
        worst = 0
        for p in range(4 * scale * scale):  # covers every phase of the pattern
            lo = hi = p
            for upsampled, r in reversed(chain):
                lo, hi = lo - r, hi + r
                if upsampled:
                    lo, hi = lo // 2, hi // 2
            own = p // scale
            worst = max(worst, own - lo, hi - own)
        return latent_radius + worst


# ---------------------------------------------------------------------------------------------
# Upsampler

class ResBlock2d(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm1 = ChannelRMSNorm(channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm2 = ChannelRMSNorm(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class Upsampler(nn.Module):
    """frames [n,3,h,w] -> upsampled [n,3,2h,2w]: bilinear 2x plus a learned residual (pixel shuffle)."""

    def __init__(self, width=32, blocks=2):
        super().__init__()
        self.conv_in = nn.Conv2d(3, width, 3, padding=1)
        self.blocks = nn.ModuleList(ResBlock2d(width) for _ in range(blocks))
        self.norm = ChannelRMSNorm(width)
        self.conv_out = nn.Conv2d(width, 3 * 4, 3, padding=1)

    def forward(self, frames):
        base = F.interpolate(frames, scale_factor=2.0, mode="bilinear", align_corners=False)
        x = self.conv_in(frames)
        for block in self.blocks:
            x = block(x)
        return base + F.pixel_shuffle(self.conv_out(F.silu(self.norm(x))), 2)

    def spatial_context(self):
        """Radius in input pixels: the 3x3 convs (pixel shuffle keeps an output pixel on its input
        pixel) or the bilinear base (1), whichever is larger."""
        convs = [self.conv_in] + [c for b in self.blocks for c in (b.conv1, b.conv2)] + [self.conv_out]
        return max(1, sum(c.kernel_size[0] // 2 for c in convs))


# ---------------------------------------------------------------------------------------------

TEXT_ENCODERS = {  # name -> (max_length, width, pooled)
    "clip": (32, 64, True),
    "byt5": (64, 48, False),
    "ul2": (48, 64, False),
}
BYT5_VOCAB = 256 + 3
SEEDS = {"text_clip": 101, "text_byt5": 102, "text_ul2": 103, "dit": 104, "decoder": 105, "upsampler": 106}


def build_network(name, vocab_sizes=None):
    """The pack's network `name` with its fixed-seed random weights. vocab_sizes maps clip/ul2 to the
    size of their word-level vocabularies."""
    torch.manual_seed(SEEDS[name])
    if name.startswith("text_"):
        encoder = name[len("text_"):]
        max_length, width, pooled = TEXT_ENCODERS[encoder]
        vocab = BYT5_VOCAB if encoder == "byt5" else vocab_sizes[encoder]
        net = TextEncoder(vocab, max_length, width, pooled)
    else:
        net = {"dit": Dit, "decoder": CausalDecoder, "upsampler": Upsampler}[name]()
    return net.eval()


def parameter_count(net):
    return sum(p.numel() for p in net.parameters())


# ---------------------------------------------------------------------------------------------
# Causal TAE encoder: trained with the decoder (tools/train_tiny_pack.py), never shipped, since
# every stage starts from text or from a stored latent.

class DownStage(nn.Module):
    """Per-frame stride-2 3x3 conv, RMS norm, SiLU."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
        self.norm = ChannelRMSNorm(cout)

    def forward(self, x):
        return F.silu(self.norm(self.conv(x)))


class CausalEncoder(nn.Module):
    """frames [B,3,1+4k,8h,8w] -> latent [B,8,1+k,h,w], the decoder's inverse: frame 0 alone gives
    latent 0 (the video is front-padded with three copies of it), then every 4 frames give one latent.
    The first 2x is a space-to-depth (full-resolution convs cost most of the time on a CPU), and time
    is folded into channels after the spatial downsampling, so all temporal mixing happens at latent
    rate, as in the decoder."""

    TIME_FACTOR = 4

    def __init__(self, channels=LATENT_CHANNELS, width=64, stages=(32, 64)):
        super().__init__()
        self.conv_in = nn.Conv3d(3 * 4, stages[0], (1, 3, 3), padding=(0, 1, 1))
        chans = tuple(stages) + (width,)
        self.stages = nn.ModuleList(DownStage(a, b) for a, b in zip(chans[:-1], chans[1:]))
        self.time_down = nn.Conv3d(self.TIME_FACTOR * width, width, 1)
        self.res = ResBlock3d(width)
        self.norm = ChannelRMSNorm(width)
        self.conv_out = CausalConv3d(width, channels)
        self.width = width

    def forward(self, frames):
        pad = frames[:, :, :1].expand(-1, -1, self.TIME_FACTOR - 1, -1, -1)
        x = torch.cat([pad, frames], dim=2)
        b, f = x.shape[0], x.shape[2]
        x = F.pixel_unshuffle(x.transpose(1, 2).flatten(0, 1), 2)
        x = x.reshape(b, f, x.shape[1], x.shape[2], x.shape[3]).transpose(1, 2)
        x = self.conv_in(x)
        for stage in self.stages:
            x = stage(x)
        t, h, w = x.shape[2] // self.TIME_FACTOR, x.shape[3], x.shape[4]
        x = x.reshape(b, self.width, t, self.TIME_FACTOR, h, w).permute(0, 3, 1, 2, 4, 5)
        x = self.time_down(x.reshape(b, self.TIME_FACTOR * self.width, t, h, w))
        x = self.res(x)[0]
        return self.conv_out(F.silu(self.norm(x)))[0]
