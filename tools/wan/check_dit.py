"""The DiT of a release, ours against the official WanModel, on the same inputs (fp32).

    /usr/bin/python3 tools/wan/check_dit.py --official DIR --release DIR [--fixture FILE]

Runs one guided step's two rows (prompt and negative prompt, the same latent and timestep) through
the official model and through `wan_dit.WanDit`, and fails above 1e-4. With --fixture, writes the
inputs and the official outputs as `inputs.*` / `outputs.velocity` for the Java parity test.

The official model runs on CPU through its own fallback attention (`attention()`, which calls
`scaled_dot_product_attention`), asked for float32: its default casts q, k and v to bfloat16, as
flash attention does on a GPU, which would make a 1e-4 comparison meaningless.
"""

import argparse
import functools
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import official  # noqa: E402
import release  # noqa: E402
import wan_dit  # noqa: E402
from config import CONFIGS  # noqa: E402

TOLERANCE = 1e-4


def official_dit(official_dir, cfg, state):
    model_module = official.load(official_dir, 'model')
    attention_module = official.load(official_dir, 'attention')
    model_module.flash_attention = functools.partial(attention_module.attention, dtype=torch.float32)
    model = model_module.WanModel(**cfg).eval()
    model.load_state_dict(state, strict=True)
    return model


def reference_inputs(cfg, gen, frames=3, height=6, width=8, timestep=999.0):
    """Two rows of one guided step: the same latent and timestep, two texts of different lengths
    zero-padded to text_len as the official pipeline pads them."""
    latent = torch.randn(1, cfg['in_dim'], frames, height, width, generator=gen).repeat(2, 1, 1, 1, 1)
    text = torch.zeros(2, cfg['text_len'], cfg['text_dim'])
    for row, length in enumerate((11, 4)):
        text[row, :length] = torch.randn(length, cfg['text_dim'], generator=gen)
    return {'latent': latent, 'timestep': torch.full((2,), timestep), 'umt5_tokens': text}


def official_velocity(model, inputs):
    latent, timestep, text = inputs['latent'], inputs['timestep'], inputs['umt5_tokens']
    _, _, f, h, w = latent.shape
    p = model.patch_size
    seq_len = (f // p[0]) * (h // p[1]) * (w // p[2])
    rows = [model([latent[i]], t=timestep[i:i + 1], context=[text[i]], seq_len=seq_len)[0] for i in range(len(latent))]
    return torch.stack(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official', required=True)
    parser.add_argument('--release', required=True)
    parser.add_argument('--config', default='reduced', choices=CONFIGS)
    parser.add_argument('--fixture')
    args = parser.parse_args()

    cfg = release.read_dit_config(args.release, CONFIGS[args.config]['dit'])
    state = release.read_dit_weights(args.release)
    ours = wan_dit.WanDit(cfg).eval()
    ours.load_state_dict(state, strict=True)
    theirs = official_dit(args.official, cfg, state)

    inputs = reference_inputs(cfg, torch.Generator().manual_seed(23))
    with torch.no_grad():
        start = time.time()
        want = official_velocity(theirs, inputs)
        got = ours(*inputs.values())
    difference = (got - want).abs().max().item()
    rows = (want[0] - want[1]).abs().max().item()
    print(f"dit: max |ours - official| {difference:.2e} (max |official| {want.abs().max().item():.2f}, "
          f"rows differ by up to {rows:.2f}; {time.time() - start:.1f} s)")
    if not difference <= TOLERANCE or rows < 1e-3:
        raise SystemExit(f"dit: ours differs from the official model by {difference:.2e} (or the text has no effect)")
    if args.fixture:
        release.write_safetensors(Path(args.fixture), {
            **{f'inputs.{k}': v for k, v in inputs.items()}, 'outputs.velocity': want})


if __name__ == '__main__':
    main()
