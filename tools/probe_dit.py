#!/usr/bin/python3
"""Looks inside a DiT while it trains, in seconds rather than the evaluator's minutes.

    /usr/bin/python3 tools/probe_dit.py samples --work tools/.cache/training --out /tmp/samples.png
    /usr/bin/python3 tools/probe_dit.py errors --work tools/.cache/training [CHECKPOINT ...]
    /usr/bin/python3 tools/probe_dit.py wording [CHECKPOINT ...]
    /usr/bin/python3 tools/probe_dit.py shapes --work tools/.cache/training [CHECKPOINT ...]

`samples` draws a few prompts with the Java sampler's settings (Euler, shifted schedule, guidance) in
PyTorch and writes one row of frames 0, 4, 8, 12, 16 per prompt, under a row decoded from a training
latent (which shows that the decoder and the latents agree). `errors` prints, for the EMA weights of
each checkpoint, the velocity error on training clips at several noise levels, split between the
latent cells an object covers and the background: the object's error is what falls slowly.
`wording` prints how much changing the colour, shape, motion or background word of one prompt moves
each text encoder's tokens and the DiT's velocity. `shapes` prints from which noise level the sampler
still brings back a training clip's shape, with its own shape word and with another.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flowreel_models as fm  # noqa: E402
import train_tiny_pack as training  # noqa: E402

PROMPTS = ["a red ball drifting to the right on a blue floor", "a green square moving left on a white background",
           "a yellow triangle moving up on a black background", "a white circle moving down on a red background"]


def load(state):
    """TextStack and DiT from a train_dit EMA state dict, laid out as train_dit's model."""
    text, dit = training.TextStack().eval(), fm.build_network("dit")
    torch.nn.ModuleDict({"text": text.nets, "dit": dit}).load_state_dict(state)
    return text, dit


def velocity(dit, x, s, cond):
    return dit(x, s, cond["clip"][0], cond["clip"][1], cond["byt5"], cond["ul2"])


@torch.no_grad()
def samples(work, out, guidance, steps, shift):
    text, dit = load(torch.load(work / "dit_checkpoint.pt")["ema"])
    decoder = training.load_decoder(work)
    rows = [training.decode(decoder, torch.from_numpy(np.load(work / "latents.npy", mmap_mode="r")[:1].copy()))[0]]
    empty = text([""])
    for i, prompt in enumerate(PROMPTS):
        x = torch.randn(1, fm.LATENT_CHANNELS, 5, 16, 16, generator=torch.Generator().manual_seed(1000 + i))
        cond = text([training.rewrite(prompt, 0)])
        t = torch.linspace(1, 0, steps + 1)
        schedule = shift * t / (1 + (shift - 1) * t)
        for a, b in zip(schedule[:-1], schedule[1:]):
            uncond = velocity(dit, x, a.reshape(1), empty)
            x = x + (b - a) * (uncond + guidance * (velocity(dit, x, a.reshape(1), cond) - uncond))
        rows.append(training.decode(decoder, x)[0])
    strips = [torch.cat([r[:, k] for k in (0, 4, 8, 12, 16)], dim=2) for r in rows]
    image = torch.cat(strips, dim=1).clamp(-1, 1).add(1).mul(127.5).byte().permute(1, 2, 0).numpy()
    from PIL import Image
    Image.fromarray(image).save(out)
    print(json.dumps({"out": str(out), "rows": ["training latent 0"] + PROMPTS}))


@torch.no_grad()
def errors(work, checkpoints, clips=96):
    latents = torch.from_numpy(np.load(work / "latents.npy", mmap_mode="r")[:clips].copy())
    scenes = json.loads((work / "scenes.json").read_text())[:clips]
    on_object = (training.object_masks(scenes, latents.shape[2:]) > 0.5).expand_as(latents)
    rng = np.random.default_rng(7)
    captions = [training.world.caption(s, rng) for s in scenes]
    for checkpoint in checkpoints:
        state = torch.load(checkpoint)
        text, dit = load(state["ema"])
        cond = text(captions)
        figures = {"checkpoint": str(checkpoint), "step": state["step"]}
        for s in (0.5, 0.7, 0.85, 0.95):
            noise = torch.randn(latents.shape, generator=torch.Generator().manual_seed(11))
            v = velocity(dit, (1 - s) * latents + s * noise, torch.full((clips,), s), cond)
            error = (v - (noise - latents)) ** 2
            figures[f"s={s}"] = {"object": round(error[on_object].mean().item(), 3),
                                 "background": round(error[~on_object].mean().item(), 3)}
        print(json.dumps(figures))


@torch.no_grad()
def wording(work, checkpoints, rows=8):
    """How far one changed word moves each encoder's tokens and the DiT's velocity (relative
    norms): an attribute that moves neither cannot be rendered, however long the DiT trains."""
    base = "a red ball moving right on a blue background"
    changed = {"colour": "a green ball moving right on a blue background",
               "shape": "a red box moving right on a blue background",
               "motion": "a red ball moving left on a blue background",
               "background": "a red ball moving right on a white background"}
    for checkpoint in checkpoints:
        state = torch.load(checkpoint)
        text, dit = load(state["ema"])
        first = text([training.rewrite(base, 0)] * rows)
        others = {k: text([training.rewrite(p, 0)] * rows) for k, p in changed.items()}
        figures = {"checkpoint": str(checkpoint), "step": state["step"]}
        for name in fm.TEXT_ENCODERS:
            tokens = [training.encoder_tokens(c, name) for c in (first, *others.values())]
            figures[name] = {k: round(((t - tokens[0]).norm() / tokens[0].norm()).item(), 3)
                             for k, t in zip(changed, tokens[1:])}
        for s in (0.95, 0.5):
            x = torch.randn(rows, fm.LATENT_CHANNELS, 5, 16, 16, generator=torch.Generator().manual_seed(1))
            times = torch.full((rows,), s)
            v = velocity(dit, x, times, first)
            figures[f"velocity s={s}"] = {k: round(((velocity(dit, x, times, c) - v).norm() / v.norm()).item(), 3)
                                          for k, c in others.items()}
        print(json.dumps(figures))


@torch.no_grad()
def shapes(work, checkpoints, guidance, steps, shift, per_shape=6):
    """Where the shape is decided: single-object training clips noised to s0 and drawn back with the
    sampler from there, captioned with their own shape and with the next shape; the rendered shape is
    measured by training.fill_ratio, the evaluator's figure simplified. Own caption right from
    s0 = 0.65 but not from 0.95 says the shape is lost where the position is already fixed; a swapped
    caption that wins says the DiT reads the shape word."""
    latents = np.load(work / "latents.npy", mmap_mode="r")
    scenes = json.loads((work / "scenes.json").read_text())
    picked = [[i for i, sc in enumerate(scenes) if len(sc["objects"]) == 1 and sc["objects"][0]["shape"] == shape]
              [:per_shape] for shape in training.world.SHAPES]
    picked = [i for group in picked for i in group]
    x0 = torch.from_numpy(latents[picked].copy())
    following = {sh: training.world.SHAPES[(k + 1) % 3] for k, sh in enumerate(training.world.SHAPES)}
    own = [scenes[i] for i in picked]
    swapped = [{**sc, "objects": [{**sc["objects"][0], "shape": following[sc["objects"][0]["shape"]]}]} for sc in own]
    captions = {name: [training.rewrite(training.world.caption(sc, np.random.default_rng(i)), 0)
                       for i, sc in enumerate(group)] for name, group in (("own", own), ("swapped", swapped))}
    decoder = training.load_decoder(work)
    t = torch.linspace(1, 0, steps + 1)
    schedule = shift * t / (1 + (shift - 1) * t)
    for checkpoint in checkpoints:
        state = torch.load(checkpoint)
        text, dit = load(state["ema"])
        empty = text([""] * len(picked))
        figures = {"checkpoint": str(checkpoint), "step": state["step"]}
        for s0 in (0.95, 0.8, 0.65):
            noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(5))
            start = schedule[schedule <= s0]
            start = torch.cat([torch.tensor([s0]), start])
            for name, group in (("own", own), ("swapped", swapped)):
                cond = text(captions[name])
                x = (1 - s0) * x0 + s0 * noise
                for a, b in zip(start[:-1], start[1:]):
                    times = a.repeat(len(picked))
                    uncond = velocity(dit, x, times, empty)
                    x = x + (b - a) * (uncond + guidance * (velocity(dit, x, times, cond) - uncond))
                measured = [training.shape_of(training.fill_ratio(clip)) for clip in training.decode(decoder, x)]
                right = sum(m == sc["objects"][0]["shape"] for m, sc in zip(measured, group))
                figures[f"s0={s0} {name}"] = f"{right}/{len(group)} " + "".join(m[0] for m in measured)
        print(json.dumps(figures))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=["samples", "errors", "wording", "shapes"])
    parser.add_argument("checkpoints", nargs="*", type=Path,
                        help="errors, wording, shapes: checkpoints (default: the work folder's)")
    parser.add_argument("--work", type=Path, default=training.TOOLS / ".cache" / "training")
    parser.add_argument("--out", type=Path, default=Path("dit-samples.png"))
    parser.add_argument("--guidance", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--shift", type=float, default=3.0)
    args = parser.parse_intermixed_args()
    torch.set_num_threads(1)
    if args.probe == "samples":
        samples(args.work, args.out, args.guidance, args.steps, args.shift)
    elif args.probe == "errors":
        errors(args.work, args.checkpoints or [args.work / "dit_checkpoint.pt"])
    elif args.probe == "wording":
        wording(args.work, args.checkpoints or [args.work / "dit_checkpoint.pt"])
    else:
        shapes(args.work, args.checkpoints or [args.work / "dit_checkpoint.pt"], args.guidance, args.steps, args.shift)


if __name__ == "__main__":
    main()
