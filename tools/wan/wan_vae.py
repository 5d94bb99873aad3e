"""Flowreel's own Wan2.1 VAE decoder, written from reading wan/modules/vae.py of Wan-Video/Wan2.1.

Parameter names equal the official `WanVAE_` state dict (`conv2.*` and `decoder.*`), so a release's
Wan2.1_VAE.pth loads by prefix. The network is rewritten for export with explicit caches:

- The official decode runs the decoder one latent at a time and keeps, per causal conv, the last
  CACHE_T = 2 frames of its input (None at first, then possibly one frame). A cache of fixed shape
  [batch, c, 2, h_i, w_i] that starts as zeros is the same thing: a missing frame and the causal
  zero padding are both zeros. Chunks of any length then equal the whole decode, because every
  causal conv sees the same history.
- The temporal upsamplers ('upsample3d') differ on latent 0 only: the official skips their
  time_conv (state 'Rep'), so latent 0 gives 1 frame and every later latent 4. 'Rep' later acts as
  an all-zero cache for the time_conv (latent 0 never enters its history). That first step is a
  separate network, `decoder_first` (latent 0 -> 1 frame, zero time_conv caches out), whose next
  caches feed `decoder` (t latents -> 4t frames) for the rest of the video. One graph without
  control flow per case keeps both ONNX Runtime and TensorRT simple.
- Around the decoder, as WanVAE.decode does: z / (1 / std) + mean, conv2, and the clamp to [-1, 1].

Per-frame 2D convs (the resamplers, attention projections) run as Conv3d with a 1-frame kernel and
upsampling as a 5D nearest Resize, so the graph never folds time into the batch axis.
"""
import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

# WanVAE's latent statistics (wan/modules/vae.py, class WanVAE).
LATENT_MEAN = [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
               0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921]
LATENT_STD = [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
              3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160]
CACHE_T = 2


class RMSNorm(nn.Module):
    """L2-normalise over channels, times sqrt(c) and a per-channel gain (official RMS_norm, no bias)."""

    def __init__(self, dim, images=False):
        super().__init__()
        self.scale = dim ** 0.5
        self.gamma = nn.Parameter(torch.ones((dim, 1, 1) if images else (dim, 1, 1, 1)))

    def forward(self, x):
        # 'images' gains are [c, 1, 1]; the input here is always 5D.
        return F.normalize(x, dim=1) * self.scale * self.gamma.reshape(-1, 1, 1, 1)


class CausalConv3d(nn.Conv3d):
    """Zero padding in front of time only. forward(x, cache) -> (y, next cache): the cache is the
    last kt - 1 frames of the conv's input before this chunk; None for a kernel of one frame."""

    def __init__(self, cin, cout, kernel, padding):
        super().__init__(cin, cout, kernel, padding=(0, padding[1], padding[2]))
        self.history = self.kernel_size[0] - 1
        assert self.history in (0, CACHE_T)

    def forward(self, x, cache=None):
        if not self.history:
            return super().forward(x), None
        x = torch.cat([cache, x], dim=2)
        return super().forward(x), x[:, :, -self.history:]


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        # Same indices as the official nn.Sequential (SiLU and dropout hold no parameters).
        self.residual = nn.ModuleDict({'0': RMSNorm(cin), '2': CausalConv3d(cin, cout, 3, (1, 1, 1)),
                                       '3': RMSNorm(cout), '6': CausalConv3d(cout, cout, 3, (1, 1, 1))})
        self.shortcut = CausalConv3d(cin, cout, 1, (0, 0, 0)) if cin != cout else None

    def forward(self, x, caches):
        r = self.residual
        h, c1 = r['2'](F.silu(r['0'](x)), caches.pop(0))
        h, c2 = r['6'](F.silu(r['3'](h)), caches.pop(0))
        skip = self.shortcut(x)[0] if self.shortcut is not None else x
        return h + skip, [c1, c2]


class AttentionBlock(nn.Module):
    """Single-head self-attention over the pixels of each frame separately."""

    def __init__(self, dim):
        super().__init__()
        self.norm = RMSNorm(dim, images=True)
        self.to_qkv = nn.Conv2d(dim, dim * 3, 1)
        self.proj = nn.Conv2d(dim, dim, 1)

    def forward(self, x, caches):
        b, c, t, h, w = x.shape
        qkv = F.conv3d(self.norm(x), self.to_qkv.weight.unsqueeze(2), self.to_qkv.bias)
        # [b, 3c, t, h, w] -> [b, t, h*w, 3c]; q, k, v are consecutive channel thirds.
        qkv = qkv.permute(0, 2, 3, 4, 1).reshape(b, t, h * w, qkv.shape[1])
        q, k, v = qkv.chunk(3, dim=-1)
        attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.proj.in_channels), dim=-1) @ v
        y = attn.reshape(b, t, h, w, c).permute(0, 4, 1, 2, 3)
        return F.conv3d(y, self.proj.weight.unsqueeze(2), self.proj.bias) + x, []


class Resample(nn.Module):
    """2x nearest upsampling and a 3x3 conv per frame; 'upsample3d' first doubles time with a causal
    time_conv whose 2c outputs are two consecutive frames."""

    def __init__(self, dim, temporal):
        super().__init__()
        self.resample = nn.ModuleDict({'1': nn.Conv2d(dim, dim // 2, 3, padding=1)})
        self.time_conv = CausalConv3d(dim, dim * 2, (3, 1, 1), (1, 0, 0)) if temporal else None

    def forward(self, x, caches, first=False):
        next_caches = []
        if self.time_conv is not None:
            cache = caches.pop(0)
            if first:
                # The official skips time_conv on latent 0 and later treats it as never seen.
                next_caches.append(torch.zeros_like(cache))
            else:
                y, nxt = self.time_conv(x, cache)
                next_caches.append(nxt)
                b, c, t, h, w = x.shape
                # Channel half j of input frame i is output frame 2i + j.
                x = y.reshape(b, 2, c, t, h, w).permute(0, 2, 3, 1, 4, 5).reshape(b, c, t * 2, h, w)
        x = F.interpolate(x, scale_factor=(1.0, 2.0, 2.0), mode='nearest')
        conv = self.resample['1']
        return F.conv3d(x, conv.weight.unsqueeze(2), conv.bias, padding=(0, 1, 1)), next_caches


class Decoder3d(nn.Module):
    def __init__(self, dim, z_dim, dim_mult, num_res_blocks, attn_scales, temperal_upsample):
        super().__init__()
        dims = [dim * u for u in [dim_mult[-1]] + dim_mult[::-1]]
        scale = 1.0 / 2 ** (len(dim_mult) - 2)
        self.conv1 = CausalConv3d(z_dim, dims[0], 3, (1, 1, 1))
        self.middle = nn.ModuleList([ResidualBlock(dims[0], dims[0]), AttentionBlock(dims[0]),
                                     ResidualBlock(dims[0], dims[0])])
        ups = []
        for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
            if i > 0:
                cin //= 2  # each Resample halves the channels
            for _ in range(num_res_blocks + 1):
                ups.append(ResidualBlock(cin, cout))
                if scale in attn_scales:
                    ups.append(AttentionBlock(cout))
                cin = cout
            if i != len(dim_mult) - 1:
                ups.append(Resample(cout, temperal_upsample[i]))
                scale *= 2.0
        self.upsamples = nn.ModuleList(ups)
        self.head = nn.ModuleDict({'0': RMSNorm(cout), '2': CausalConv3d(cout, 3, 3, (1, 1, 1))})

    def forward(self, x, caches, first=False):
        caches, nxt = list(caches), []
        x, c = self.conv1(x, caches.pop(0))
        nxt.append(c)
        for layer in list(self.middle) + list(self.upsamples):
            if isinstance(layer, Resample):
                x, c = layer(x, caches, first)
            else:
                x, c = layer(x, caches)
            nxt += c
        x, c = self.head['2'](F.silu(self.head['0'](x)), caches.pop(0))
        assert not caches, "more caches than causal convs"
        return x, nxt + [c]


class WanVaeDecoder(nn.Module):
    """latent (the DiT's, normalised) -> frames in [-1, 1], with conv2 and the latent statistics."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        z = cfg['z_dim']
        self.conv2 = CausalConv3d(z, z, 1, (0, 0, 0))
        self.decoder = Decoder3d(cfg['dim'], z, cfg['dim_mult'], cfg['num_res_blocks'], cfg['attn_scales'],
                                 cfg['temperal_downsample'][::-1])
        self.register_buffer('mean', torch.tensor(LATENT_MEAN).reshape(1, z, 1, 1, 1), persistent=False)
        # The official divides by 1 / std (its scale[1]); keep the same two roundings.
        self.register_buffer('inv_std', (1.0 / torch.tensor(LATENT_STD)).reshape(1, z, 1, 1, 1), persistent=False)

    def forward(self, latent, caches, first=False):
        x = self.conv2(latent / self.inv_std + self.mean)[0]
        frames, nxt = self.decoder(x, caches, first)
        return frames.clamp(-1.0, 1.0), nxt

    def causal_convs(self):
        """(conv, spatial scale vs the latent) in the order caches are consumed."""
        out, scale = [(self.decoder.conv1, 1)], 1
        for layer in list(self.decoder.middle) + list(self.decoder.upsamples):
            if isinstance(layer, ResidualBlock):
                out += [(layer.residual['2'], scale), (layer.residual['6'], scale)]
            elif isinstance(layer, Resample):
                if layer.time_conv is not None:
                    out.append((layer.time_conv, scale))
                scale *= 2
        return out + [(self.decoder.head['2'], scale)]

    def cache_specs(self):
        """(channels, time steps, spatial scale) of each cache: shape [batch, c, 2, scale*h, scale*w]."""
        return [(conv.in_channels, conv.history, s) for conv, s in self.causal_convs()]

    def cache_shapes(self, h, w, batch=1):
        return [(batch, c, k, s * h, s * w) for c, k, s in self.cache_specs()]

    def zero_caches(self, batch, h, w):
        return [torch.zeros(shape) for shape in self.cache_shapes(h, w, batch)]


class DecoderFirst(nn.Module):
    """Network `decoder_first`: latent 0 of a video -> its one frame and the caches for `decoder`."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        b, h, w = latent.shape[0], latent.shape[3], latent.shape[4]
        # Zero caches built inside the graph from the latent's sizes; the first step has no history.
        caches = [latent.new_zeros(b, c, k, s * h, s * w) for c, k, s in self.vae.cache_specs()]
        frames, nxt = self.vae(latent, caches, first=True)
        return (frames, *nxt)


class DecoderStep(nn.Module):
    """Network `decoder`: latents 1.. of a video, any number per call, with carried caches."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent, *caches):
        frames, nxt = self.vae(latent, caches)
        return (frames, *nxt)


# ---------------------------------------------------------------------------------------------
# Weights

def encoder_shapes(cfg):
    """Shapes of the official WanVAE_'s encoder and conv1 parameters (not computed by Flowreel, but
    a release holds them and the official loader reads them strictly)."""
    dim, z = cfg['dim'], cfg['z_dim']
    dims = [dim * u for u in [1] + cfg['dim_mult']]
    shapes = {}

    def conv(name, cout, cin, *kernel):
        shapes[name + '.weight'] = (cout, cin, *kernel)
        shapes[name + '.bias'] = (cout,)

    def res(name, cin, cout):
        shapes[name + '.residual.0.gamma'] = (cin, 1, 1, 1)
        conv(name + '.residual.2', cout, cin, 3, 3, 3)
        shapes[name + '.residual.3.gamma'] = (cout, 1, 1, 1)
        conv(name + '.residual.6', cout, cout, 3, 3, 3)
        if cin != cout:
            conv(name + '.shortcut', cout, cin, 1, 1, 1)

    def attn(name, c):
        shapes[name + '.norm.gamma'] = (c, 1, 1)
        conv(name + '.to_qkv', 3 * c, c, 1, 1)
        conv(name + '.proj', c, c, 1, 1)

    conv('encoder.conv1', dims[0], 3, 3, 3, 3)
    n, scale = 0, 1.0
    for i, (cin, cout) in enumerate(zip(dims[:-1], dims[1:])):
        for _ in range(cfg['num_res_blocks']):
            res(f'encoder.downsamples.{n}', cin, cout)
            n += 1
            if scale in cfg['attn_scales']:
                attn(f'encoder.downsamples.{n}', cout)
                n += 1
            cin = cout
        if i != len(cfg['dim_mult']) - 1:
            conv(f'encoder.downsamples.{n}.resample.1', cout, cout, 3, 3)
            if cfg['temperal_downsample'][i]:
                conv(f'encoder.downsamples.{n}.time_conv', cout, cout, 3, 1, 1)
            n += 1
            scale /= 2.0
    res('encoder.middle.0', cout, cout)
    attn('encoder.middle.1', cout)
    res('encoder.middle.2', cout, cout)
    shapes['encoder.head.0.gamma'] = (cout, 1, 1, 1)
    conv('encoder.head.2', 2 * z, cout, 3, 3, 3)
    conv('conv1', 2 * z, 2 * z, 1, 1, 1)
    return shapes


def random_state_dict(cfg, seed=0):
    """Every parameter of the official WanVAE_ with seeded random values: weights uniform with the
    default fan-in bound, biases small, norm gains around 1 (not all ones) and attention outputs
    non-zero (the official zero-initialises them), so a parity test sees every parameter."""
    shapes = dict(encoder_shapes(cfg))
    shapes.update({k: tuple(v.shape) for k, v in WanVaeDecoder(cfg).state_dict().items()})
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name in sorted(shapes):
        shape = shapes[name]
        u = torch.rand(shape, generator=gen) * 2 - 1
        if name.endswith('gamma'):
            out[name] = 1.0 + 0.25 * u
        elif name.endswith('bias'):
            out[name] = 0.05 * u
        else:
            fan_in = math.prod(shape[1:])
            out[name] = u / math.sqrt(fan_in)
    return out


def load_release(folder, cfg, file='Wan2.1_VAE.pth'):
    """Our decoder with the weights of a release folder's VAE checkpoint (the whole WanVAE_)."""
    state = torch.load(Path(folder) / file, map_location='cpu')
    vae = WanVaeDecoder(cfg)
    wanted = vae.state_dict().keys()
    missing = [k for k in wanted if k not in state]
    if missing:
        raise SystemExit(f"{file}: missing {len(missing)} decoder parameters, e.g. {missing[:3]}")
    for k in wanted:
        if tuple(state[k].shape) != tuple(vae.state_dict()[k].shape):
            raise SystemExit(f"{file}: {k} has shape {tuple(state[k].shape)}, the configuration says "
                             f"{tuple(vae.state_dict()[k].shape)}")
    vae.load_state_dict({k: state[k].float() for k in wanted})
    return vae.eval().requires_grad_(False)


# ---------------------------------------------------------------------------------------------
# Export

def _spec(name, shape):
    return {'name': name, 'dtype': 'float32', 'shape': shape}


def network_specs(vae):
    """Manifest entries of `decoder_first` and `decoder`. Cache dims at spatial scale s are named
    h, w (s = 1) or h{s}, w{s}; each is s times the latent's."""
    z = vae.cfg['z_dim']
    caches = [['batch', c, k, 'h' if s == 1 else f'h{s}', 'w' if s == 1 else f'w{s}']
              for c, k, s in vae.cache_specs()]
    cache_in = [_spec(f'cache_{i}', s) for i, s in enumerate(caches)]
    cache_out = [_spec(f'next_cache_{i}', s) for i, s in enumerate(caches)]
    return {
        'decoder_first': {'file': 'decoder_first.onnx',
                          'inputs': [_spec('latent', ['batch', z, 1, 'h', 'w'])],
                          'outputs': [_spec('frames', ['batch', 3, 1, 'frames_h', 'frames_w'])] + cache_out},
        'decoder': {'file': 'decoder.onnx',
                    'inputs': [_spec('latent', ['batch', z, 't', 'h', 'w'])] + cache_in,
                    'outputs': [_spec('frames', ['batch', 3, 'frames_t', 'frames_h', 'frames_w'])] + cache_out},
    }


def share_weights(out_dir, files, data_file):
    """Moves the weights of several ONNX files into one external data file they all point into,
    each distinct tensor (same dtype, dims and bytes) stored once. ONNX Runtime and TensorRT's
    parser read external data relative to the model file, so the files stay side by side."""
    import hashlib
    import onnx
    from onnx import numpy_helper
    out_dir, stored, offset = Path(out_dir), {}, 0
    with open(out_dir / data_file, 'wb') as data:
        for file in files:
            model = onnx.load(str(out_dir / file))
            for tensor in model.graph.initializer:
                array = numpy_helper.to_array(tensor)
                if array.nbytes < 1024:
                    continue  # shape constants and scalars stay inline, readable in the graph
                raw = array.tobytes()
                key = (tensor.data_type, tuple(tensor.dims), hashlib.sha256(raw).hexdigest())
                if key not in stored:
                    pad = -offset % 64  # aligned, so a reader may map tensors in place
                    data.write(b'\0' * pad + raw)
                    stored[key] = offset + pad
                    offset += pad + len(raw)
                tensor.ClearField('raw_data')
                tensor.ClearField('float_data')
                tensor.data_location = onnx.TensorProto.EXTERNAL
                for k, v in (('location', data_file), ('offset', stored[key]), ('length', len(raw))):
                    tensor.external_data.add(key=k, value=str(v))
            onnx.save(model, str(out_dir / file))
            onnx.checker.check_model(str(out_dir / file))
    return offset


def export_onnx(vae, out_dir, batch=1, t=2, h=3, w=5, shared_weights=None):
    """Writes decoder_first.onnx and decoder.onnx into out_dir (traced at the given sizes, which
    should differ from the reference sizes so dynamic dims are exercised); returns network_specs.
    With shared_weights (a file name), both networks keep their weights in that one file."""
    import onnx_export
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = network_specs(vae)
    z = vae.cfg['z_dim']
    onnx_export.export(DecoderFirst(vae).eval(), {'latent': torch.randn(batch, z, 1, h, w)}, out_dir,
                       specs['decoder_first'])
    caches = {f'cache_{i}': c for i, c in enumerate(vae.zero_caches(batch, h, w))}
    onnx_export.export(DecoderStep(vae).eval(), {'latent': torch.randn(batch, z, t, h, w), **caches}, out_dir,
                       specs['decoder'])
    if shared_weights:
        share_weights(out_dir, [s['file'] for s in specs.values()], shared_weights)
    return specs
