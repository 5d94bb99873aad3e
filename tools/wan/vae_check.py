#!/usr/bin/python3
"""Proves Flowreel's Wan2.1 VAE decoder (wan_vae.py) against the official code, without real weights.

    /usr/bin/python3 tools/wan/vae_check.py --official WAN2.1_CHECKOUT --out DIR [--onnx-check]

Writes a random-weight release of the REDUCED configuration (DIR/release/Wan2.1_VAE.pth, every key
of the official WanVAE_), loads it into the official WanVAE_ (strictly, as _video_vae does) and
into ours (by prefix, as load_release does), and requires, within 1e-4 in fp32, that the official
WanVAE.decode (latent statistics, per-latent decode with feature caches, clamp) equals ours run as
decoder_first on latent 0 and decoder on the rest in every chunking. Then exports DIR/decoder_first.onnx
and DIR/decoder.onnx, writes reference fixtures DIR/reference/*.safetensors and, with --onnx-check,
runs each fixture through ONNX Runtime (Java, tools/wan/onnx-check).
"""
import argparse
import json
import itertools
import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import config  # noqa: E402
import official  # noqa: E402
import wan_vae as wv  # noqa: E402
from build_tiny_pack import write_safetensors  # noqa: E402

TOLERANCE = 1e-4


def official_decode(ref, latent):
    """WanVAE.decode's math in fp32: scale = [mean, 1 / std], decode, clamp."""
    mean, std = torch.tensor(wv.LATENT_MEAN), torch.tensor(wv.LATENT_STD)
    with torch.no_grad():
        return ref.decode(latent, [mean, 1.0 / std]).float().clamp(-1, 1)


def official_vae(official_dir, folder, cfg):
    """The official WanVAE_ with a release's weights, loaded strictly (built directly: _video_vae
    uses torch.device('meta') and load_state_dict(assign=True), which torch 1.13 lacks)."""
    vae_module = official.load(official_dir, 'vae')
    ref = vae_module.WanVAE_(**cfg).eval()
    ref.load_state_dict(torch.load(Path(folder) / config.RELEASE['vae_weights'], map_location='cpu'), strict=True)
    return ref


def our_decode(vae, latent, chunks):
    """decoder_first on latent 0, then decoder on consecutive chunks of the given lengths."""
    first, step = wv.DecoderFirst(vae), wv.DecoderStep(vae)
    with torch.no_grad():
        frames, *caches = first(latent[:, :, :1])
        parts, start = [frames], 1
        for n in chunks:
            frames, *caches = step(latent[:, :, start:start + n], *caches)
            parts.append(frames)
            start += n
    assert start == latent.shape[2]
    return torch.cat(parts, dim=2)


def compositions(n):
    """Every way to split n latents into consecutive chunks."""
    for cuts in itertools.product([False, True], repeat=n - 1):
        sizes, size = [], 1
        for cut in cuts:
            if cut:
                sizes.append(size)
                size = 1
            else:
                size += 1
        yield sizes + [size]


def named(prefix, names, tensors):
    return {f'{prefix}.{n}': t for n, t in zip(names, tensors)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--official', required=True, help='checkout of Wan-Video/Wan2.1')
    ap.add_argument('--out', required=True, type=Path)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--shared-weights', metavar='FILE', help='both networks keep their weights in FILE')
    ap.add_argument('--onnx-check', action='store_true', help='check each export in ONNX Runtime (tools/wan/onnx-check)')
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    cfg = config.REDUCED['vae']

    release = args.out / 'release'
    release.mkdir(parents=True, exist_ok=True)
    torch.save(wv.random_state_dict(cfg, args.seed), release / config.RELEASE['vae_weights'])

    vae_module = official.load(args.official, 'vae')
    ref = official_vae(args.official, release, cfg)
    ours = wv.load_release(release, cfg, config.RELEASE['vae_weights'])
    assert len(ours.cache_specs()) == sum(1 for m in ref.decoder.modules()
                                          if isinstance(m, vae_module.CausalConv3d) and m.kernel_size[0] > 1)

    gen = torch.Generator().manual_seed(args.seed + 1)
    worst = 0.0
    # Batch 2 (rows decoded independently), non-square, 4 latents = 13 frames.
    latent = torch.randn(2, cfg['z_dim'], 4, 6, 8, generator=gen)
    expected = official_decode(ref, latent)
    assert expected.shape == (2, 3, 13, 48, 64), expected.shape
    clamped = (expected.abs() == 1).float().mean().item()
    print(f"official decode {tuple(expected.shape)}: std {expected.std():.3f}, {100 * clamped:.2f}% at the clamp")
    assert 0 < clamped < 0.05, "random weights should exercise the clamp, not saturate it"
    for chunks in compositions(3):
        diff = (our_decode(ours, latent, chunks) - expected).abs().max().item()
        print(f"  first=1 then {chunks}: max abs diff {diff:.2e}")
        worst = max(worst, diff)
    single = official_decode(ref, latent[:, :, :1])
    diff = (our_decode(ours, latent[:, :, :1], []) - single).abs().max().item()
    print(f"  one latent only: max abs diff {diff:.2e}")
    worst = max(worst, diff)
    assert worst <= TOLERANCE, f"ours differs from the official decode by {worst:.2e}"

    # Exports (traced at other sizes than the fixtures) and reference fixtures.
    specs = wv.export_onnx(ours, args.out, batch=2, t=2, h=3, w=5, shared_weights=args.shared_weights)
    ref_dir = args.out / 'reference'
    ref_dir.mkdir(exist_ok=True)
    n = len(ours.cache_specs())
    cache_names = [f'cache_{i}' for i in range(n)]
    next_names = ['frames'] + [f'next_cache_{i}' for i in range(n)]
    h, w = 2, 3  # fixtures stay small: caches at 8x the latent dominate their size
    video = torch.randn(1, cfg['z_dim'], 4, h, w, generator=gen)
    first, step = wv.DecoderFirst(ours), wv.DecoderStep(ours)
    with torch.no_grad():
        first_out = first(video[:, :, :1])
        mid_out = step(video[:, :, 1:2], *first_out[1:])
        stream_out = step(video[:, :, 2:], *mid_out[1:])
    cases = {
        'decoder_first_small': ('decoder_first', {'inputs.latent': video[:, :, :1],
                                                  **named('outputs', next_names, first_out)}),
        # Latents 2-3 of a video: non-zero caches, left by decoder_first (latent 0) and decoder (latent 1).
        'decoder_stream': ('decoder', {'inputs.latent': video[:, :, 2:],
                                       **named('inputs', cache_names, mid_out[1:]),
                                       **named('outputs', next_names, stream_out)}),
        # The official whole-video decode: decoder_first + decoder chunks must reproduce it.
        'vae_video': (None, {'inputs.latent': video, 'outputs.frames': official_decode(ref, video)}),
    }
    chained = torch.cat([first_out[0], mid_out[0], stream_out[0]], 2)
    assert (chained - cases['vae_video'][1]['outputs.frames']).abs().max() <= TOLERANCE
    for case, (network, tensors) in cases.items():
        path = ref_dir / f'{case}.safetensors'
        write_safetensors(path, tensors)
        print(f"{path}: {path.stat().st_size} bytes")
        if network and args.onnx_check:
            result = subprocess.run([str(HERE / 'onnx-check'), str(args.out / specs[network]['file']), str(path)],
                                    check=True, capture_output=True, text=True).stdout
            print('   ', result.strip().replace('\n', '\n    '))
            diffs = [v for k, v in json.loads(result).items() if k not in ('model', 'load_s', 'run_s')]
            assert len(diffs) == sum(k.startswith('outputs.') for k in tensors), result
            assert max(diffs) <= TOLERANCE, f"{network} in ONNX Runtime: {result}"
    if args.shared_weights:
        print(f"{args.shared_weights}: {(args.out / args.shared_weights).stat().st_size} bytes")
    for name, spec in specs.items():
        print(f"{spec['file']}: {(args.out / spec['file']).stat().st_size} bytes, "
              f"{len(spec['inputs'])} inputs, {len(spec['outputs'])} outputs")
    print(f"OK: worst max abs diff vs official {worst:.2e}")


if __name__ == '__main__':
    main()
