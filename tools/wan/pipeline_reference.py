"""Records the official Wan2.1 sampling loop on a release's DiT, for WanReducedTrajectoryTest.

    /usr/bin/python3 tools/wan/make_random_release.py --config reduced --out /tmp/wan-rel
    /usr/bin/python3 tools/wan/pipeline_reference.py --official WAN2.1_CHECKOUT --release /tmp/wan-rel \\
        --out libs/inference/src/test/resources/sampling/wan_reduced_trajectory.safetensors

The loop is wan/text2video.py's for sample_solver='unipc' (sampler_reference.trajectory): per
timestep the official WanModel runs once on the prompt's context and once on the negative prompt's,
v = v_uncond + guide_scale (v_cond - v_uncond), then the official scheduler's `step`. Everything runs
in float32 on CPU with the official fallback attention asked for float32 (check_dit.official_dit),
so the Java side's ONNX DiT is compared with the reference kernels, not with bfloat16 rounding.

The inputs do not depend on a seed: the initial latent is sampler_reference's analytic pattern,
and the two contexts (what umT5 would give for a prompt and a negative prompt, unpadded, as the
pipeline passes them) are fixed random tensors stored in the fixture as `context.cond` [11, 32] and
`context.uncond` [4, 32]. Each case stores `<case>.timesteps` (I64 [N]) and `<case>.latents`
(F32 [N, 16, 3, 6, 8], the latent after each step).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_dit  # noqa: E402
import official  # noqa: E402
import release  # noqa: E402
import sampler_reference  # noqa: E402
from config import CONFIGS  # noqa: E402

SHAPE = (16, 3, 6, 8)  # [C, T, H, W]: 3 latent frames of 6 x 8, 36 tokens after 1x2x2 patches
GUIDE_SCALE = 5.0
CASES = {'steps4': 4, 'steps50': 50}  # shift 5 and guidance 5, the Wan2.1 t2v defaults


def guided_field(model, cond, uncond):
    p = model.patch_size
    seq_len = (SHAPE[1] // p[0]) * (SHAPE[2] // p[1]) * (SHAPE[3] // p[2])

    def field(latent, timestep):
        t = torch.tensor([timestep], dtype=torch.int64)  # text2video's torch.stack([t])
        with torch.no_grad():
            v_cond = model([latent], t=t, context=[cond], seq_len=seq_len)[0]
            v_uncond = model([latent], t=t, context=[uncond], seq_len=seq_len)[0]
        return v_uncond + GUIDE_SCALE * (v_cond - v_uncond)

    return field


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official', required=True, help='a checkout of Wan-Video/Wan2.1')
    parser.add_argument('--release', required=True, help='tools/wan/make_random_release.py --config reduced')
    parser.add_argument('--out', required=True, type=Path)
    args = parser.parse_args()

    cfg = release.read_dit_config(args.release, CONFIGS['reduced']['dit'])
    model = check_dit.official_dit(args.official, cfg, release.read_dit_weights(args.release))
    solvers = official.load(args.official, 'wan.utils.fm_solvers_unipc')
    gen = torch.Generator().manual_seed(23)
    cond = torch.randn(11, cfg['text_dim'], generator=gen)
    uncond = torch.randn(4, cfg['text_dim'], generator=gen)
    initial = sampler_reference.initial_latent(SHAPE)
    field = guided_field(model, cond, uncond)

    arrays = {'initial_latent': initial, 'context.cond': cond.numpy(), 'context.uncond': uncond.numpy()}
    for name, steps in CASES.items():
        start = time.time()
        fed, _, latents = sampler_reference.trajectory(solvers, steps, 5.0, field, initial)
        if not np.isfinite(latents).all():
            raise SystemExit(f'{name}: the trajectory is not finite')
        arrays[f'{name}.timesteps'] = fed
        arrays[f'{name}.latents'] = latents
        print(f'{name}: timesteps {fed.tolist()[:4]}..., final |x| max {np.abs(latents[-1]).max():.3f}, '
              f'{time.time() - start:.1f} s')
    sampler_reference.write_safetensors(args.out, arrays)
    print(f'wrote {args.out} ({args.out.stat().st_size} bytes)')


if __name__ == '__main__':
    main()
