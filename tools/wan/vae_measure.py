#!/usr/bin/python3
"""Sizes and CPU cost of the full Wan2.1 VAE decoder (FULL_1_3B, random weights, fp32).

    /usr/bin/python3 tools/wan/vae_measure.py [--out DIR] [--h 60 --w 104]

Prints the decoder's parameter count, the sizes of its two ONNX exports, and the time and peak
memory (RSS) of decoding one latent at h x w: decoder_first (latent 0 -> 1 frame) and decoder
(a later latent -> 4 frames), each in its own process so peaks do not mix.
"""
import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import config  # noqa: E402
import wan_vae as wv  # noqa: E402


def full_decoder():
    cfg = config.FULL_1_3B['vae']
    vae = wv.WanVaeDecoder(cfg)
    state = wv.random_state_dict(cfg, 0)
    vae.load_state_dict({k: state[k] for k in vae.state_dict()})
    return vae.eval().requires_grad_(False)


def run_case(case, h, w):
    vae = full_decoder()
    latent = torch.randn(1, 16, 1, h, w)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.time()
    with torch.no_grad():
        if case == 'first':
            out = wv.DecoderFirst(vae)(latent)
        else:
            out = wv.DecoderStep(vae)(latent, *vae.zero_caches(1, h, w))
    took = time.time() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cache_mb = sum(c.numel() for c in out[1:]) * 4 / 2**20
    print(f"{case}: frames {tuple(out[0].shape)} in {took:.1f} s, peak RSS {rss / 2**20:.2f} GiB "
          f"(weights loaded: {rss0 / 2**20:.2f} GiB), caches {cache_mb:.0f} MiB, {torch.get_num_threads()} threads")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', type=Path, default=Path('/tmp/wan-vae-full'))
    ap.add_argument('--h', type=int, default=60)
    ap.add_argument('--w', type=int, default=104)
    ap.add_argument('--case', choices=['first', 'step'])
    ap.add_argument('--skip-export', action='store_true')
    args = ap.parse_args()
    if args.case:
        return run_case(args.case, args.h, args.w)
    vae = full_decoder()
    print(f"decoder parameters (conv2 + decoder): {sum(p.numel() for p in vae.parameters()):,}")
    time_conv = sum(p.numel() for n, p in vae.named_parameters() if 'time_conv' in n)
    print(f"  of which time_conv (unused by decoder_first): {time_conv:,}")
    if not args.skip_export:
        specs = wv.export_onnx(vae, args.out, batch=1, t=1, h=4, w=6)
        for spec in specs.values():
            print(f"{spec['file']}: {(args.out / spec['file']).stat().st_size / 2**20:.1f} MiB")
    for case in ('first', 'step'):
        subprocess.run([sys.executable, __file__, '--case', case, '--h', str(args.h), '--w', str(args.w)], check=True)


if __name__ == '__main__':
    main()
