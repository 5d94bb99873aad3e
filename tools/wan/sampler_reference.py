"""Records trajectories of the official Wan2.1 sampler (FlowUniPCMultistepScheduler) for the Java test.

The scheduler is built and driven exactly as wan/text2video.py does for sample_solver='unipc'
(shift=1 in the constructor, set_timesteps(steps, shift=shift), one `step` per timestep with the
int64 timestep the network is given), but the network is replaced by an analytic, seed-independent,
non-linear velocity field that FlowUniPcSamplerTest writes out identically in Java. The field is
evaluated in float64 and rounded to float32, so the only differences left to the comparison are the
solvers' own arithmetic.

    /usr/bin/python3 tools/wan/sampler_reference.py --official WAN2.1_CHECKOUT \\
        --out libs/inference/src/test/resources/sampling/wan_unipc_trajectories.safetensors

Every case stores `<case>.timesteps` (I64 [N], what the field received), `<case>.sigmas` (F32
[N + 1], the scheduler's) and `<case>.latents` (F32 [N, *SHAPE], the latent after each step); the
initial latent is `initial_latent`.
"""

import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import official  # noqa: E402

SHAPE = (16, 2, 4, 4)  # [C, T, H, W], as text2video's latent without the batch
CASES = {  # name: (steps, shift); the first is the Wan2.1 t2v default (generate.py, text2video.py)
    'steps50_shift5': (50, 5.0),
    'steps4_shift3': (4, 3.0),
    'steps2_shift5': (2, 5.0),
    'steps1_shift3': (1, 3.0),
}


def initial_latent(shape=SHAPE):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.sin(0.7 * i + 0.3) + 0.5 * np.cos(1.3 * i)).astype(np.float32).reshape(shape)


def velocity(x, timestep):
    """v = tanh(A x) (1 + u) + 0.9 x - 0.3 cos(0.5 + c + 0.1 p) (1 - u), u = timestep / 1000.

    A mixes the channels (A[c][d] = 0.25 sin(1 + 3c + 7d)); p is the position within a channel.
    """
    channels = SHAPE[0]
    c = np.arange(channels, dtype=np.float64)
    a = 0.25 * np.sin(1 + 3 * c[:, None] + 7 * c[None, :])
    flat = x.detach().numpy().astype(np.float64).reshape(channels, -1)
    p = np.arange(flat.shape[1], dtype=np.float64)
    u = float(timestep) / 1000
    v = np.tanh(a @ flat) * (1 + u) + 0.9 * flat - 0.3 * np.cos(0.5 + c[:, None] + 0.1 * p[None, :]) * (1 - u)
    return torch.from_numpy(v.astype(np.float32).reshape(x.shape))


def trajectory(solvers, steps, shift, field=velocity, initial=None):
    """field(latent [C, T, H, W], int timestep) -> velocity: the guided DiT in text2video.py."""
    # As text2video.py builds it for sample_solver == 'unipc'.
    scheduler = solvers.FlowUniPCMultistepScheduler(num_train_timesteps=1000, shift=1, use_dynamic_shifting=False)
    scheduler.set_timesteps(steps, device='cpu', shift=shift)
    latents = torch.from_numpy(initial_latent() if initial is None else initial)
    fed, after = [], []
    for t in scheduler.timesteps:
        timestep = torch.stack([t])  # what the DiT is given: int64
        assert timestep.dtype == torch.int64
        fed.append(int(timestep[0]))
        noise_pred = field(latents, timestep[0].item())
        latents = scheduler.step(noise_pred.unsqueeze(0), t, latents.unsqueeze(0), return_dict=False)[0].squeeze(0)
        after.append(latents.clone())
    return np.array(fed, dtype=np.int64), scheduler.sigmas.numpy(), torch.stack(after).numpy()


def write_safetensors(path, arrays):
    # The layout of tools/build_tiny_pack.py's writer (which imports onnx, absent here).
    tags = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64'}
    header, blobs, offset = {}, [], 0
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        data = array.astype(array.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': tags[array.dtype], 'shape': list(array.shape),
                        'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--official', required=True, help='a checkout of Wan-Video/Wan2.1')
    parser.add_argument('--out', required=True, type=Path)
    args = parser.parse_args()
    solvers = official.load(args.official, 'wan.utils.fm_solvers_unipc')
    arrays = {'initial_latent': initial_latent()}
    for name, (steps, shift) in CASES.items():
        fed, sigmas, latents = trajectory(solvers, steps, shift)
        arrays[f'{name}.timesteps'] = fed
        arrays[f'{name}.sigmas'] = sigmas
        arrays[f'{name}.latents'] = latents
        finite = bool(np.isfinite(latents).all())
        print(f'{name}: timesteps {fed.tolist()[:4]}{"..." if steps > 4 else ""}, '
              f'final |x| max {np.abs(latents[-1]).max():.4f}, finite {finite}')
        if not finite:
            raise SystemExit(f'{name}: the trajectory is not finite')
    write_safetensors(args.out, arrays)
    print(f'wrote {args.out} ({args.out.stat().st_size} bytes)')


if __name__ == '__main__':
    main()
