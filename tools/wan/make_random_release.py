#!/usr/bin/python3
"""Writes a Wan2.1 text-to-video release folder with random weights, in the official layout.

    /usr/bin/python3 tools/wan/make_random_release.py --out DIR [--config reduced|1.3b] [--seed 23]
        [--only dit,t5,vae,tokenizer]

The files, their names, tensor names, shapes and storage dtypes are those of Wan-AI/Wan2.1-T2V-1.3B
(config.RELEASE): `config.json` and `diffusion_pytorch_model.safetensors` (the DiT, float32),
`models_t5_umt5-xxl-enc-bf16.pth` (the umT5 encoder, bfloat16), `Wan2.1_VAE.pth` (the whole VAE,
float32) and `google/umt5-xxl/` (the tokenizer). The official weights cannot be downloaded on these
machines, so this is what the exporter and the reference checks are proven on. With `--config
reduced` the networks are small (config.REDUCED) and the tokenizer is a small Unigram vocabulary of
the same kind as umT5's; with `--config 1.3b` the networks have the released sizes (the tokenizer is
still the small one: its file is data, not weights).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch  # noqa: E402

import release  # noqa: E402
import wan_dit  # noqa: E402
import wan_t5  # noqa: E402
import wan_tokenizer  # noqa: E402
import wan_vae  # noqa: E402
from config import CONFIGS, RELEASE  # noqa: E402

PARTS = ('dit', 't5', 'vae', 'tokenizer')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--config', default='reduced', choices=CONFIGS)
    parser.add_argument('--seed', type=int, default=23)
    parser.add_argument('--only', default=','.join(PARTS))
    args = parser.parse_args()
    cfg, out = CONFIGS[args.config], Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = args.only.split(',')
    for part in parts:
        if part not in PARTS:
            raise SystemExit(f"--only: unknown part {part}; parts are {', '.join(PARTS)}")
        start = time.time()
        if part == 'dit':
            release.write_dit(out, cfg['dit'], wan_dit.random_state_dict(cfg['dit'], args.seed))
        elif part == 't5':
            torch.save(wan_t5.random_state_dict(cfg['t5'], args.seed + 1), out / RELEASE['t5_weights'])
        elif part == 'vae':
            torch.save(wan_vae.random_state_dict(cfg['vae'], args.seed + 2), out / RELEASE['vae_weights'])
        elif part == 'tokenizer':
            wan_tokenizer.write_reduced_tokenizer(out / RELEASE['tokenizer_dir'], cfg['t5']['vocab_size'], cfg['text_len'])
        print(f"{part}: {time.time() - start:.1f} s", flush=True)


if __name__ == '__main__':
    main()
